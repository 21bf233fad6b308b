/// What the proxy needs to know about an upstream response head: only as much as framing
/// and connection reuse need (DESIGN.md section 2); the bytes themselves are passed on.
public struct HTTPResponseHead: Sendable, Equatable {
    public var status: Int
    /// HTTP/1.0 -> 0, HTTP/1.1 -> 1.
    public var versionMinor: Int
    public var framing: BodyFraming
    /// Whether the upstream connection may carry another request after this response's body.
    /// False for `.untilClose` framing and for 101 (the connection becomes a tunnel).
    public var keepAlive: Bool
    /// Bytes up to and including the final CRLFCRLF.
    public var headLength: Int
    /// 101 Switching Protocols: after the head, bytes flow both ways unparsed.
    public var isUpgrade: Bool
    /// Byte range of the status line without its CRLF.
    public var statusLineRange: Range<Int>
    /// Connection tokens naming fields, as in `HTTPRequestHead.connectionTokensMask`.
    public var connectionTokensMask: UInt32

    public init() {
        status = 0
        versionMinor = 1
        framing = .none
        keepAlive = false
        headLength = 0
        isUpgrade = false
        statusLineRange = 0..<0
        connectionTokensMask = 0
    }
}
