import TenantEdgeCore

/// What an HTTP/2 stream's access log line needs beyond what the stream already holds,
/// filled in as the stream goes through its phases and read when it closes.
///
/// Sized to live inside the stream object without allocating: the host is normalized
/// again from the request head when the line is written (only for sampled streams), the
/// store id shares the route table's bytes (an array reference, not a copy), and the
/// request id is kept as the worker's counter value and formatted when written.
struct StreamAccessRecord {
    var outcome: RequestOutcome = .error
    /// 0 until a response head was submitted (a stream reset before that logs 0).
    var status = 0
    /// The store's `idBytes`; empty when no store was involved.
    var storeId: ArraySlice<UInt8> = []
    /// The worker's request counter when this stream's `X-Request-Id` was made; 0 for none.
    var requestNumber: UInt64 = 0
    /// Monotonic ms; 0 when the stream never reached an upstream.
    var dispatchedAt: Int64 = 0
    var responseHeadAt: Int64 = 0
    /// DATA payload bytes received from and sent to the client on this stream.
    var bytesIn: UInt64 = 0
    var bytesOut: UInt64 = 0
}
