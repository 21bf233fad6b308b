/// The request method, classified once while parsing so later phases (retry safety,
/// HEAD framing of the response) switch on a byte instead of comparing strings.
///
/// Methods are case-sensitive (RFC 9110 section 9.1): `get` is an extension method,
/// classified `.other`, not `.get`.
public enum HTTPMethod: UInt8, Sendable {
    case get, head, post, put, delete, connect, options, trace, patch, other

    /// Idempotent methods (RFC 9110 section 9.2.2) may be retried once on a fresh upstream
    /// connection when a reused one dies before any response byte (DESIGN.md section 5).
    public var isIdempotent: Bool {
        switch self {
        case .get, .head, .put, .delete, .options, .trace: true
        case .post, .connect, .patch, .other: false
        }
    }

    /// Classifies the method token `buffer[start..<end]` (already checked to be a token).
    @inline(__always)
    public static func classify(_ buffer: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> HTTPMethod {
        @inline(__always) func at(_ i: Int) -> UInt8 { buffer[start &+ i] }
        switch end &- start {
        case 3:
            if at(0) == 0x47, at(1) == 0x45, at(2) == 0x54 { return .get }  // GET
            if at(0) == 0x50, at(1) == 0x55, at(2) == 0x54 { return .put }  // PUT
        case 4:
            if at(0) == 0x50, at(1) == 0x4F, at(2) == 0x53, at(3) == 0x54 { return .post }  // POST
            if at(0) == 0x48, at(1) == 0x45, at(2) == 0x41, at(3) == 0x44 { return .head }  // HEAD
        case 5:
            if ByteClass.equals(buffer, start, "PATCH") { return .patch }
            if ByteClass.equals(buffer, start, "TRACE") { return .trace }
        case 6:
            if ByteClass.equals(buffer, start, "DELETE") { return .delete }
        case 7:
            if ByteClass.equals(buffer, start, "OPTIONS") { return .options }
            if ByteClass.equals(buffer, start, "CONNECT") { return .connect }
        default:
            break
        }
        return .other
    }
}
