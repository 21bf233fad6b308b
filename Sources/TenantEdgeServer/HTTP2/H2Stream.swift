import TenantEdgeCore

/// One HTTP/2 request stream, relayed as an HTTP/1.1 exchange over the same upstream pools
/// and header rules as HTTP/1.1 clients.
final class H2Stream {
    let id: Int32
    unowned let session: H2Session
    var head = H2RequestHead()
    var headersDone = false
    /// END_STREAM seen from the client.
    var requestEnded = false
    var wantsJSON = false
    var upstreamIndex = 0
    var upstream: UpstreamConnection?
    var retried = false
    var startedAt: Int64 = 0
    /// Monotonic ms after which the sweep gives up on the upstream (504 / close).
    var deadline: Int64 = .max

    /// The HTTP/1.1 request head sent upstream.
    var upstreamHead: [UInt8] = []
    var headSent = 0
    /// Request body bytes (chunk-framed when the length is unknown) not yet written upstream.
    var upload: IOBuffer?
    var chunkedUpload = false
    var uploadFinished = false
    /// DATA payload received but not yet acknowledged with WINDOW_UPDATE: acknowledged as it
    /// drains upstream, so a slow backend slows the client (flow-control backpressure).
    var unconsumed = 0

    var responseParser = HTTPResponseParser()
    var responseStarted = false
    var responseHeadDone = false
    var responseFraming: BodyFraming = .none
    var responseRemaining: UInt64 = 0
    var responseScanner = ChunkedScanner()
    var responseComplete = false
    var upstreamKeepAlive = false
    /// nghttp2 asked for data we did not have; resume when some arrives.
    var deferred = false
    /// A response we produced ourselves (error page body).
    var localBody: [UInt8] = []
    var localBodySent = 0
    var isLocalResponse = false
    var closed = false
    /// Counted in the worker's `h2ActiveStreams` (a request in progress) until it closes.
    var countedActive = false
    /// For the access log line written when the stream closes.
    var record = StreamAccessRecord()

    init(id: Int32, session: H2Session) {
        self.id = id
        self.session = session
    }
}
