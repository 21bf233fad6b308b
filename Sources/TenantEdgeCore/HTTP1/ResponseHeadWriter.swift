/// Copies an upstream response head to the client, cutting out hop-by-hop fields by byte range.
///
/// Hop-by-hop fields describe the proxy-to-backend connection, not the client's (RFC 9110
/// section 7.6.1): the backend's `Connection: keep-alive` says nothing about whether the
/// client connection stays open, so those lines are dropped and the proxy states its own.
/// Content-Length and Transfer-Encoding are kept because the body is forwarded verbatim.
/// Every other line is copied byte for byte: no decoding, no re-encoding (DESIGN.md section 2).
public struct ResponseHeadWriter: Sendable {
    public init() {}

    /// Appends the head parsed by `parser` from `buffer` to `out` (which it does not clear).
    ///
    /// - `closeClient`: append `Connection: close`, because the proxy will close the client
    ///   connection after this response. Ignored for 101.
    /// - `announceKeepAlive`: otherwise append `Connection: keep-alive`, which an HTTP/1.0
    ///   client needs to keep the connection open.
    ///
    /// The status line is sent as HTTP/1.1 whatever the backend spoke: a proxy sends its own
    /// version (RFC 9110 section 6.2).
    public static func write(
        _ parser: HTTPResponseParser, from buffer: UnsafeRawBufferPointer, closeClient: Bool,
        announceKeepAlive: Bool = false, into out: inout [UInt8]
    ) {
        let head = parser.head
        out.reserveCapacity(out.count &+ head.headLength &+ 32)
        append("HTTP/1.1", to: &out)
        append(buffer, 8, head.statusLineRange.upperBound &+ 2, to: &out)

        var upgradeValue: Range<Int>?
        let fields = parser.fields
        for index in fields.indices {
            let field = fields[index]
            switch field.name {
            case .connection, .keepAlive, .proxyConnection, .te, .trailer:
                continue
            case .upgrade:
                if head.isUpgrade, upgradeValue == nil { upgradeValue = field.valueRange }
                continue
            default:
                if head.connectionTokensMask != 0, parser.isNominatedByConnection(index, in: buffer) { continue }
            }
            append(buffer, Int(field.lineStart), Int(field.lineEnd), to: &out)
        }

        if head.isUpgrade {
            append("Connection: upgrade\r\n", to: &out)
            if let value = upgradeValue {
                append("Upgrade: ", to: &out)
                append(buffer, value.lowerBound, value.upperBound, to: &out)
                append("\r\n", to: &out)
            }
        } else if closeClient {
            append("Connection: close\r\n", to: &out)
        } else if announceKeepAlive {
            append("Connection: keep-alive\r\n", to: &out)
        }
        append("\r\n", to: &out)
    }

    @inline(__always)
    static func append(_ literal: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    @inline(__always)
    static func append(_ buffer: UnsafeRawBufferPointer, _ start: Int, _ end: Int, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start..<end]))
    }
}
