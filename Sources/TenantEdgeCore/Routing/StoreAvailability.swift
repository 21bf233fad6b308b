/// Whether a store's requests are forwarded, from its `status` and `is_active`
/// (DESIGN.md section 5).
public enum StoreAvailability: Sendable, Equatable, Hashable {
    /// `is_active` and status `active` or `demo`: forward.
    case serve
    /// `pending_database`, `provisioning`, `provisioned`: 503 with `Retry-After`, because the
    /// store will come up by itself shortly.
    case provisioning
    /// `suspended`, or an otherwise servable status with `is_active` false: 503.
    case unavailable
    /// `inactive`: 410, the store is gone for good.
    case closed
    /// A status this version does not know (live databases have others): 503, and the server
    /// logs a warning once per value.
    case unknownStatus

    /// Status decides first and `is_active` only gates the servable statuses: `is_active`
    /// defaults to false, so a store still being provisioned must answer "provisioning", and
    /// an `inactive` store must answer 410 whatever its flag says.
    /// Compared ignoring case and blanks, since the column is free text.
    public init(status: String, isActive: Bool) {
        if let known = Self.decide(status, isActive: isActive) {
            self = known
        } else {
            // Only odd spellings pay for the copy.
            self = Self.decide(Self.canonical(status), isActive: isActive) ?? .unknownStatus
        }
    }

    private static func decide(_ status: String, isActive: Bool) -> StoreAvailability? {
        switch status {
        case "active", "demo": isActive ? .serve : .unavailable
        case "pending_database", "provisioning", "provisioned": .provisioning
        case "suspended": .unavailable
        case "inactive": .closed
        default: nil
        }
    }

    /// The error response for a store that is not served; nil for `.serve`.
    public var errorKind: ErrorKind? {
        switch self {
        case .serve: nil
        case .provisioning: .provisioning
        case .unavailable, .unknownStatus: .inactive
        case .closed: .closed
        }
    }

    private static func canonical(_ status: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(status.utf8.count)
        for byte in status.utf8 where byte != UInt8(ascii: " ") && byte != UInt8(ascii: "\t") {
            bytes.append(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
