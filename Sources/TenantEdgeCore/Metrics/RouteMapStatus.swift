/// The state of the route map and its feed from the master database, as `/metrics` and
/// `/readyz` report it. Filled by whoever owns the change feed; plain values so the admin
/// thread never touches the feed's state.
public struct RouteMapStatus: Sendable, Equatable {
    /// `RouteTable.generation` of the published table; 0 before the first map.
    public var generation: UInt64
    public var hosts: Int
    public var stores: Int
    /// Seconds since the map was last known to match the database (last load or notification
    /// applied); grows while the database is unreachable.
    public var ageSeconds: Double
    /// `change_log` sequence the map reflects.
    public var lastSequence: Int64
    /// Times the master DB connection was re-established.
    public var reconnects: UInt64
    /// NOTIFY messages received.
    public var notifications: UInt64
    /// True while the map came from the snapshot file because the database is unreachable.
    public var servingFromSnapshot: Bool

    public init(generation: UInt64 = 0, hosts: Int = 0, stores: Int = 0, ageSeconds: Double = 0, lastSequence: Int64 = 0,
                reconnects: UInt64 = 0, notifications: UInt64 = 0, servingFromSnapshot: Bool = false) {
        self.generation = generation
        self.hosts = hosts
        self.stores = stores
        self.ageSeconds = ageSeconds
        self.lastSequence = lastSequence
        self.reconnects = reconnects
        self.notifications = notifications
        self.servingFromSnapshot = servingFromSnapshot
    }
}
