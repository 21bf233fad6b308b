/// Why a Host value (or a hostname row from the master database) was refused.
///
/// One flat enum because callers only ever map it to "400 Bad Request" (requests) or
/// "skip and count" (database rows); the case is kept for logs and for `/routes/<host>`.
public enum HostError: Error, Equatable, Hashable, Sendable {
    /// Nothing left once the port and the trailing dot are gone.
    case empty
    /// More than 253 bytes: no DNS name is longer (RFC 1035 section 2.3.4).
    case tooLong
    /// A label of more than 63 bytes (RFC 1035 section 2.3.4).
    case labelTooLong
    /// `a..b`, a leading dot, or two trailing dots.
    case emptyLabel
    /// A control character, `@`, `/`, `\`, whitespace or anything else outside letters,
    /// digits, `-`, `_` and `.`, or a malformed `[v6]` literal: userinfo and path characters in
    /// a Host are smuggling attempts, and no DNS name needs anything else.
    case invalidCharacter
    /// A byte >= 0x80: browsers send internationalized names as A-labels (`xn--`), so raw
    /// UTF-8 is either a broken client or an attempt to exploit a lookalike.
    case nonASCII
    /// A port that is not 0-5 digits with a value up to 65535 (`host:` with an empty port is
    /// allowed: RFC 3986 section 3.2.3 defines `port = *DIGIT`).
    case badPort
}

extension HostError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .empty: "empty host"
        case .tooLong: "host longer than 253 bytes"
        case .labelTooLong: "host label longer than 63 bytes"
        case .emptyLabel: "empty label in host"
        case .invalidCharacter: "invalid character in host"
        case .nonASCII: "non-ASCII byte in host"
        case .badPort: "malformed port in host"
        }
    }
}
