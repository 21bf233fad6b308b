import TenantEdgeCore

/// One accepted client connection, owned by exactly one worker.
///
/// A class because the worker's descriptor table, the upstream it is paired with and the
/// timer sweep all refer to it; it is allocated once per connection, never per request.
final class ClientConnection {
    enum State {
        /// Waiting for the PROXY protocol header (listeners with `proxy_protocol`).
        case proxyHeader
        /// TLS handshake in progress (https listeners only).
        case handshaking
        /// Waiting for (more of) a request head; `input` may already hold pipelined bytes.
        case readingHead
        /// A request is being relayed through `upstream`.
        case proxying
        /// HTTP/2 (ALPN h2): frames through `h2`, requests as streams.
        case h2
        /// After a 101 answer: raw bytes both ways until either side closes.
        case tunnel
        /// Writing a response we produced ourselves; then next request or close.
        case answering
        /// Write side shut after a final response; discarding input until EOF or timeout.
        case lingering
        case closed
    }

    let fd: Int32
    let serial: UInt32
    let listener: ListenerContext
    let input: IOBuffer
    var state: State = .readingHead
    var readable = false
    /// The peer closed (or failed): reads must go on to EOF even after a short read.
    var hangup = false
    var writable = true
    var upstream: UpstreamConnection?
    /// The TCP peer; with PROXY protocol, the load balancer.
    let peer: ClientAddress?
    /// The client as far as we know it: the PROXY protocol source, else the TCP peer.
    var clientAddress: ClientAddress?
    /// The peer is in `trusted_proxies`: its forwarding headers are kept and appended to.
    var trustedPeer = false
    /// For the active-connection gauges.
    var h2Started = false
    var tunnelOpen = false
    /// Bytes already offered to the parser without completing a head, to avoid re-parsing
    /// when a wake-up brought nothing new.
    var parsedBytes = 0
    var closeAfterResponse = false
    /// Monotonic milliseconds at which the sweep acts on this connection.
    var deadline: Int64 = .max
    var requests = 0
    /// When the connection last became idle between requests (for buffer release).
    var idleSince: Int64 = 0
    /// The request context went back to the pool after an idle second (see Worker.shrinkIdle).
    var shrunk = false
    /// Bytes through this connection so far (per request: differences, for the access log).
    var bytesRead: UInt64 = 0
    var bytesWritten: UInt64 = 0
    /// The TLS state on https listeners; nil on plain ones.
    var tls: TLSSession?
    var h2: H2Session?
    /// The normalized SNI name, to refuse a Host of another store (421).
    var serverName: [UInt8]?

    /// The worker's pool; the worker outlives every connection it owns.
    private unowned(unsafe) let contexts: RequestContextPool
    /// Present while the connection has work (see `RequestContext`); taken on first use.
    private(set) var context: RequestContext?
    /// Whether `context` counts as an HTTP/1.1 request in progress (see RequestContextPool.inUse).
    private var contextCounted = false

    init(fd: Int32, serial: UInt32, listener: ListenerContext, peer: SocketAddress, bufferSize: Int,
         contexts: RequestContextPool) {
        self.fd = fd
        self.serial = serial
        self.listener = listener
        self.input = IOBuffer(pooledCapacity: bufferSize)
        self.peer = peer.clientAddress
        self.clientAddress = self.peer
        self.contexts = contexts
    }

    /// `context?.state`, kept as a plain pointer for the addressors below: the fields are
    /// reached without a retain/release (going through the strong reference cost one pair on
    /// each of the ~50 uses per request, ~4k instructions) and without an accessor coroutine
    /// (a `_read` through an unowned reference copied the whole exchange into its frame in
    /// debug builds, which AddressSanitizer caught being read after the accessor ended).
    /// Invariant: non-nil exactly when `context` is, and then that context's state, which
    /// `context` keeps alive.
    private var requestState: UnsafeMutablePointer<RequestState>?

    /// The request state, taking a context from the pool if the connection has none.
    @inline(__always)
    private var attached: UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(requestState ?? attachContext())
    }

    @inline(never)
    private func attachContext() -> UnsafeMutablePointer<RequestState> {
        contextCounted = !h2Started
        let context = contexts.take(counted: contextCounted)
        self.context = context
        requestState = context.state
        let forwardedFor = context.state.pointee.forwardedFor
        if !context.state.pointee.forwardedBuilt || !Self.sameHost(forwardedFor, clientAddress)
            || context.state.pointee.forwardedListenerBlock != listener.protoAndPortBlock {
            buildForwardedBlock(into: context.state)
        }
        context.state.pointee.exchange.bytesReadAtStart = bytesRead
        context.state.pointee.exchange.bytesWrittenAtStart = bytesWritten
        return context.state
    }

    /// Gives the context back (idle connection, or closing); the next use takes one again.
    func releaseContext() {
        guard let context else { return }
        self.context = nil
        requestState = nil
        contexts.give(context, counted: contextCounted)
    }

    /// The connection now speaks HTTP/2: a context it holds stops counting as a request.
    func switchedToH2() {
        h2Started = true
        if context != nil && contextCounted {
            contextCounted = false
            contexts.stopCounting()
        }
    }

    var parser: HTTPRequestParser {
        unsafeAddress {
            UnsafePointer(attached.advanced(by: RequestState.parserOffset).assumingMemoryBound(to: HTTPRequestParser.self))
        }
        unsafeMutableAddress {
            attached.advanced(by: RequestState.parserOffset).assumingMemoryBound(to: HTTPRequestParser.self)
        }
    }

    var exchange: Exchange {
        unsafeAddress {
            UnsafePointer(attached.advanced(by: RequestState.exchangeOffset).assumingMemoryBound(to: Exchange.self))
        }
        unsafeMutableAddress {
            attached.advanced(by: RequestState.exchangeOffset).assumingMemoryBound(to: Exchange.self)
        }
    }

    var output: [UInt8] {
        unsafeAddress {
            UnsafePointer(attached.advanced(by: RequestState.outputOffset).assumingMemoryBound(to: [UInt8].self))
        }
        unsafeMutableAddress {
            attached.advanced(by: RequestState.outputOffset).assumingMemoryBound(to: [UInt8].self)
        }
    }

    var outputSent: Int {
        unsafeAddress {
            UnsafePointer(attached.advanced(by: RequestState.outputSentOffset).assumingMemoryBound(to: Int.self))
        }
        unsafeMutableAddress {
            attached.advanced(by: RequestState.outputSentOffset).assumingMemoryBound(to: Int.self)
        }
    }

    var forwardedBlock: [UInt8] {
        unsafeAddress {
            UnsafePointer(attached.advanced(by: RequestState.forwardedBlockOffset).assumingMemoryBound(to: [UInt8].self))
        }
    }

    /// `X-Forwarded-For/-Proto/-Port` for untrusted peers, built when a context is taken
    /// (and again when a PROXY header names the real client).
    func rebuildForwardedBlock() {
        buildForwardedBlock(into: requestState ?? attachContext())
    }

    /// The block names the address, not the port (each connection has its own port).
    private static func sameHost(_ a: ClientAddress?, _ b: ClientAddress?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        return a.family == b.family && a.high == b.high && a.low == b.low
    }

    private func buildForwardedBlock(into state: UnsafeMutablePointer<RequestState>) {
        state.pointee.forwardedBlock.removeAll(keepingCapacity: true)
        state.pointee.forwardedBlock.append(contentsOf: "X-Forwarded-For: ".utf8)
        clientAddress?.appendAddressText(to: &state.pointee.forwardedBlock)
        state.pointee.forwardedBlock.append(contentsOf: "\r\n".utf8)
        state.pointee.forwardedBlock.append(contentsOf: listener.protoAndPortBlock)
        state.pointee.forwardedFor = clientAddress
        state.pointee.forwardedListenerBlock = listener.protoAndPortBlock
        state.pointee.forwardedBuilt = true
    }

    /// Without taking a context: an idle connection has nothing to write.
    var hasPendingOutput: Bool {
        guard let requestState else { return false }
        return requestState.pointee.outputSent < requestState.pointee.output.count
    }
}
