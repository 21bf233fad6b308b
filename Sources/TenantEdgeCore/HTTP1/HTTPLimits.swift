/// Bounds on a message head, so a client cannot make a worker buffer or scan without end.
///
/// The defaults follow common practice (nginx allows 8 KiB lines and 32 KiB of large headers;
/// 100 fields is Node's and HAProxy's order of magnitude).
public struct HTTPLimits: Sendable, Equatable {
    /// Largest head, request or status line through the final CRLFCRLF (431 for requests).
    public var maxHeadBytes: Int
    /// Largest request line including its CRLF (414).
    public var maxRequestLineBytes: Int
    /// Most header field lines in one head (431 for requests).
    public var maxFields: Int

    public init(maxHeadBytes: Int = 32 * 1024, maxRequestLineBytes: Int = 8 * 1024, maxFields: Int = 100) {
        self.maxHeadBytes = maxHeadBytes
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxFields = maxFields
    }

    public static let `default` = HTTPLimits()
}
