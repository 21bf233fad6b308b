/// Everything the route table is built from: both tables as loaded in one REPEATABLE READ
/// transaction, plus the change-log sequence they correspond to.
///
/// It is also the on-disk snapshot format (JSON, `{"stores":[...],"hostnames":[...],
/// "sequence":N}`), written after every sync so a restart while the master database is down
/// still serves the last known map. Keeping one type for both means the snapshot can never
/// hold something the loader could not have produced.
public struct RouteMapData: Sendable, Codable, Equatable {
    public var stores: [StoreRecord]
    public var hostnames: [HostnameRecord]
    /// Highest `tenant_edge_changes.seq` included (0 if the change log does not exist yet).
    public var sequence: Int64

    public init(stores: [StoreRecord] = [], hostnames: [HostnameRecord] = [], sequence: Int64 = 0) {
        self.stores = stores
        self.hostnames = hostnames
        self.sequence = sequence
    }
}
