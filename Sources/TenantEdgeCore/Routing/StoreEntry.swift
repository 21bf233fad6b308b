/// A store as the request path needs it: decided availability, and its id and slug already
/// as UTF-8 bytes so the server splices `X-Store-Id` / `X-Store-Slug` without encoding.
public struct StoreEntry: Sendable, Equatable {
    public let id: String
    /// As stored in the database (the wildcard index uses its lowercase form).
    public let slug: String
    public let status: String
    public let isActive: Bool
    public let availability: StoreAvailability
    public let idBytes: [UInt8]
    public let slugBytes: [UInt8]

    public init(record: StoreRecord) {
        id = record.id
        slug = record.slug
        status = record.status
        isActive = record.isActive
        availability = StoreAvailability(status: record.status, isActive: record.isActive)
        idBytes = Array(record.id.utf8)
        slugBytes = Array(record.slug.utf8)
    }
}
