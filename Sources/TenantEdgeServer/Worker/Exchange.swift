import TenantEdgeCore

/// The state of one request/response exchange on a client connection.
///
/// A struct reset per request, so that nothing of one request (another store's
/// context, an upstream, framing) can leak into the next on the same connection.
struct Exchange {
    var method: HTTPMethod = .get
    var keepAlive = true
    var http10 = false
    var wantsJSON = false
    var upgrade = false
    var retried = false
    var upstreamIndex = 0
    var startedAt: Int64 = 0
    // For the access log: filled while routing, read when the exchange ends.
    var outcome: RequestOutcome = .error
    var status = 0
    var host: [UInt8] = []
    var storeId: [UInt8] = []
    var requestId: [UInt8] = []
    var bytesReadAtStart: UInt64 = 0
    var bytesWrittenAtStart: UInt64 = 0
    var dispatchedAt: Int64 = 0
    var responseHeadAt: Int64 = 0

    /// The request head as sent upstream (rewritten); kept until a response byte arrives
    /// so that a failed reused connection can be retried on a new one.
    var head: [UInt8] = []
    var headSent = 0

    // Request body: bytes at the front of the client's input already identified as body.
    var requestFraming: BodyFraming = .none
    var requestRemaining: UInt64 = 0
    var requestScanner = ChunkedScanner()
    var requestPending = 0
    var requestComplete = true

    // Response.
    var responseParser = HTTPResponseParser()
    var responseStarted = false      // any byte received from upstream
    var responseHeadDone = false
    var responseStatus = 0
    var responseFraming: BodyFraming = .none
    var responseRemaining: UInt64 = 0
    var responseScanner = ChunkedScanner()
    var responsePending = 0
    var responseComplete = false
    var upstreamKeepAlive = false

    mutating func reset() {
        outcome = .error
        status = 0
        if !host.isEmpty { host.removeAll(keepingCapacity: true) }
        if !storeId.isEmpty { storeId.removeAll(keepingCapacity: true) }
        if !requestId.isEmpty { requestId.removeAll(keepingCapacity: true) }
        dispatchedAt = 0
        responseHeadAt = 0
        startedAt = 0
        method = .get
        keepAlive = true
        http10 = false
        wantsJSON = false
        upgrade = false
        retried = false
        if !head.isEmpty { head.removeAll(keepingCapacity: true) }
        headSent = 0
        requestFraming = .none
        requestRemaining = 0
        requestScanner = ChunkedScanner()
        requestPending = 0
        requestComplete = true
        responseParser.reset()
        responseStarted = false
        responseHeadDone = false
        responseStatus = 0
        responseFraming = .none
        responseRemaining = 0
        responseScanner = ChunkedScanner()
        responsePending = 0
        responseComplete = false
        upstreamKeepAlive = false
    }
}
