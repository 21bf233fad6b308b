/// A parsed request head: offsets into the buffer it was parsed from, plus the decisions
/// (framing, keep-alive, routing host) every later phase needs, made once.
public struct HTTPRequestHead: Sendable, Equatable {
    public var method: HTTPMethod
    public var methodRange: Range<Int>
    public var targetRange: Range<Int>
    /// HTTP/1.0 -> 0, HTTP/1.1 -> 1.
    public var versionMinor: Int
    /// `http://host/path` form (RFC 9112 section 3.2.2): its authority wins over Host.
    public var isAbsoluteForm: Bool
    /// The authority of an absolute-form target (port included, as received).
    public var authorityRange: Range<Int>?
    /// Path and query to send upstream. Always starts with '/', except `*` for OPTIONS:
    /// for an absolute-form target without a path it is the second '/' of "//".
    public var originFormRange: Range<Int>
    /// The Host field's value, if the request has one.
    public var hostRange: Range<Int>?
    /// The host to route by: the absolute-form authority, else the Host value; an empty range
    /// for an HTTP/1.0 request without Host.
    public var routingHostRange: Range<Int>
    /// `.none`, `.contentLength` or `.chunked`; never `.untilClose` for requests.
    public var framing: BodyFraming
    /// HTTP/1.1: true unless Connection has "close". HTTP/1.0: only with "keep-alive".
    public var keepAlive: Bool
    /// `Expect: 100-continue`: the client waits for an interim response before the body.
    public var expectContinue: Bool
    /// An Upgrade field and a Connection "upgrade" token are both present.
    public var upgrade: Bool
    /// Bit `HeaderName.maskBit` is set for each known name that a Connection token names;
    /// bit 0 (`.other`) if some token names a field the proxy does not know (other than
    /// "close"). `HTTPRequestParser.isNominatedByConnection` uses it to decide per field.
    public var connectionTokensMask: UInt32
    /// Bytes up to and including the final CRLFCRLF; a pipelined request starts here.
    public var headLength: Int

    public init() {
        method = .other
        methodRange = 0..<0
        targetRange = 0..<0
        versionMinor = 1
        isAbsoluteForm = false
        authorityRange = nil
        originFormRange = 0..<0
        hostRange = nil
        routingHostRange = 0..<0
        framing = .none
        keepAlive = false
        expectContinue = false
        upgrade = false
        connectionTokensMask = 0
        headLength = 0
    }
}
