/// How the message body after a head is delimited (RFC 9112 section 6.3).
///
/// The proxy streams bodies through verbatim; framing only tells it where a body ends so a
/// connection can carry the next message.
public enum BodyFraming: Equatable, Sendable {
    /// No body: a request without Content-Length or Transfer-Encoding, or a response to HEAD,
    /// a 1xx, 204 or 304.
    case none
    /// Exactly this many bytes follow (zero is kept as `.contentLength(0)`).
    case contentLength(UInt64)
    /// Chunked transfer coding; `ChunkedScanner` finds the end.
    case chunked
    /// Responses only: the body runs until the upstream closes, so the connection is not reused.
    case untilClose
}
