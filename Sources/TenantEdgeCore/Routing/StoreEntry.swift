/// A store as the request path needs it: decided availability, and its id and slug already
/// as UTF-8 bytes so the server splices `X-Store-Id` / `X-Store-Slug` without encoding.
///
/// Why id and slug share one byte array: a million-host map has hundreds of thousands of
/// stores, and three heap objects per store (an id `String` over the 15-byte inline form, and
/// two byte arrays) were a fifth of the start-up load. The `String` forms are made on demand,
/// off the request path (admin reports, token signing on a cache miss).
public struct StoreEntry: Sendable, Equatable {
    /// `id` bytes followed by `slug` bytes.
    private let bytes: [UInt8]
    private let idLength: Int32
    public let status: String
    public let isActive: Bool
    public let availability: StoreAvailability

    public init(record: StoreRecord) {
        var bytes = Array(record.id.utf8)
        let idLength = bytes.count
        bytes.append(contentsOf: record.slug.utf8)
        self.init(bytes: bytes, idLength: idLength, status: record.status, isActive: record.isActive)
    }

    /// From raw column bytes (the loader's binary COPY path): one allocation per store.
    public init(id: UnsafeRawBufferPointer, slug: UnsafeRawBufferPointer, status: String, isActive: Bool) {
        var bytes = [UInt8]()
        bytes.reserveCapacity(id.count + slug.count)
        bytes.append(contentsOf: id)
        bytes.append(contentsOf: slug)
        self.init(bytes: bytes, idLength: id.count, status: status, isActive: isActive)
    }

    private init(bytes: [UInt8], idLength: Int, status: String, isActive: Bool) {
        self.bytes = bytes
        self.idLength = Int32(idLength)
        self.status = status
        self.isActive = isActive
        availability = StoreAvailability(status: status, isActive: isActive)
    }

    public var idBytes: ArraySlice<UInt8> { bytes[..<Int(idLength)] }
    /// As stored in the database (the wildcard index uses its lowercase form).
    public var slugBytes: ArraySlice<UInt8> { bytes[Int(idLength)...] }
    public var id: String { String(decoding: idBytes, as: UTF8.self) }
    public var slug: String { String(decoding: slugBytes, as: UTF8.self) }
}
