/// One `stores` row as the master database holds it (DESIGN.md section 4), before any
/// validation: the route table decides what to do with odd values, the loader never does.
public struct StoreRecord: Sendable, Codable, Equatable, Hashable {
    /// `stores.id` (uuid, in its text form).
    public var id: String
    /// `stores.slug`: the label under each platform domain (`<slug>.<platform domain>`).
    public var slug: String
    /// `stores.status`: `active`, `demo`, `provisioning`, ... or anything a live database holds.
    public var status: String
    /// `stores.is_active`.
    public var isActive: Bool

    public init(id: String, slug: String, status: String, isActive: Bool) {
        self.id = id
        self.slug = slug
        self.status = status
        self.isActive = isActive
    }

    /// The snapshot file uses the database's column names, so it reads like the table.
    enum CodingKeys: String, CodingKey {
        case id, slug, status
        case isActive = "is_active"
    }
}
