/// One `store_hostnames` row (DESIGN.md section 4). `hostname` is raw: it goes through
/// `HostNormalizer` when the route table is built, like a request's Host does.
public struct HostnameRecord: Sendable, Codable, Equatable, Hashable {
    public var hostname: String
    /// `store_hostnames.store_id`; a row whose store is missing is skipped, never fatal.
    public var storeId: String
    /// Decides the `host_kind` claim (`custom` or `platform`) of requests to this host.
    public var isCustomDomain: Bool
    public var isPrimary: Bool
    public var sslEnabled: Bool

    public init(hostname: String, storeId: String, isCustomDomain: Bool, isPrimary: Bool = true, sslEnabled: Bool = false) {
        self.hostname = hostname
        self.storeId = storeId
        self.isCustomDomain = isCustomDomain
        self.isPrimary = isPrimary
        self.sslEnabled = sslEnabled
    }

    /// Column names of the table, so the snapshot file reads like the table.
    enum CodingKeys: String, CodingKey {
        case hostname
        case storeId = "store_id"
        case isCustomDomain = "is_custom_domain"
        case isPrimary = "is_primary"
        case sslEnabled = "ssl_enabled"
    }
}
