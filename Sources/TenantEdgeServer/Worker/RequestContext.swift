import TenantEdgeCore

/// The working state of a connection while it has a request in progress: parser, exchange,
/// the bytes we write ourselves and the forwarding header block.
///
/// Why apart from `ClientConnection`: an idle keep-alive connection needs none of it, and
/// with it inline every idle connection held over a kilobyte (more than nginx's whole
/// per-connection cost). Connections take a context from their worker's
/// `RequestContextPool` when work arrives and give it back after an idle second or at close,
/// so idle connections hold only their small object, and the arrays inside a pooled context
/// keep their capacity: the request path does not allocate them again, and freed per-request
/// arrays no longer leave holes between long-lived connection objects in the heap.
final class RequestContext {
    /// The state itself lives in memory of its own, so a connection can reach its fields
    /// through a plain pointer (see `ClientConnection`'s addressors): no reference counting
    /// and no accessor coroutine on the ~50 uses per request.
    /// Invariant: allocated and initialized in `init`, deinitialized and freed in `deinit`.
    let state: UnsafeMutablePointer<RequestState>

    init() {
        state = .allocate(capacity: 1)
        state.initialize(to: RequestState())
    }

    deinit {
        state.deinitialize(count: 1)
        state.deallocate()
    }

    /// Ready for another connection: nothing of the last one stays but capacity.
    func reset() { state.pointee.reset() }
}

/// What a `RequestContext` holds.
struct RequestState {
    var parser = HTTPRequestParser()
    var exchange = Exchange()
    /// Response heads and our own responses, written before any body bytes borrowed from
    /// the upstream's buffer. Keeps its capacity across requests.
    var output: [UInt8] = []
    var outputSent = 0
    /// What to add to every request of the connection: X-Forwarded-For/-Proto/-Port.
    /// Kept across owners with the address and listener block it was built for: behind a
    /// load balancer most connections share a few peer addresses, so a context taken by
    /// another connection usually needs no rebuild (formatting it cost ~900 instructions).
    var forwardedBlock: [UInt8] = []
    var forwardedFor: ClientAddress?
    var forwardedListenerBlock: [UInt8] = []
    var forwardedBuilt = false

    /// Arrays that grew past this (a huge head, a large local answer) are dropped rather
    /// than kept in the pool.
    static let keptCapacity = 16 * 1024

    static let parserOffset = MemoryLayout<RequestState>.offset(of: \.parser)!
    static let exchangeOffset = MemoryLayout<RequestState>.offset(of: \.exchange)!
    static let outputOffset = MemoryLayout<RequestState>.offset(of: \.output)!
    static let outputSentOffset = MemoryLayout<RequestState>.offset(of: \.outputSent)!
    static let forwardedBlockOffset = MemoryLayout<RequestState>.offset(of: \.forwardedBlock)!

    mutating func reset() {
        parser.reset()
        exchange.reset()
        if exchange.head.capacity > Self.keptCapacity { exchange.head = [] }
        if output.capacity > Self.keptCapacity { output = [] } else if !output.isEmpty { output.removeAll(keepingCapacity: true) }
        outputSent = 0
    }
}
