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

    /// The same context as `context`, for the accessors below: an `unowned(unsafe)` load
    /// takes no reference count, where going through the strong property cost a retain and
    /// a release on each of the ~50 uses per request (measured: ~4k instructions/request).
    /// Invariant: non-nil exactly when `context` is, and then the same object, which
    /// `context` keeps alive.
    private unowned(unsafe) var fast: RequestContext?

    /// The request context, taken from the pool if the connection has none.
    var active: RequestContext {
        if context == nil { attachContext() }
        return fast.unsafelyUnwrapped
    }

    @inline(never)
    private func attachContext() {
        let context = contexts.take()
        self.context = context
        fast = context
        if !context.forwardedBuilt || !Self.sameHost(context.forwardedFor, clientAddress)
            || context.forwardedListenerBlock != listener.protoAndPortBlock {
            buildForwardedBlock(into: context)
        }
        context.exchange.bytesReadAtStart = bytesRead
        context.exchange.bytesWrittenAtStart = bytesWritten
    }

    /// Gives the context back (idle connection, or closing); the next use takes one again.
    func releaseContext() {
        guard let context else { return }
        self.context = nil
        fast = nil
        contexts.give(context)
    }

    var parser: HTTPRequestParser {
        _read {
            if context == nil { attachContext() }
            yield fast.unsafelyUnwrapped.parser
        }
        _modify {
            if context == nil { attachContext() }
            yield &fast.unsafelyUnwrapped.parser
        }
    }

    var exchange: Exchange {
        _read {
            if context == nil { attachContext() }
            yield fast.unsafelyUnwrapped.exchange
        }
        _modify {
            if context == nil { attachContext() }
            yield &fast.unsafelyUnwrapped.exchange
        }
    }

    var output: [UInt8] {
        _read {
            if context == nil { attachContext() }
            yield fast.unsafelyUnwrapped.output
        }
        _modify {
            if context == nil { attachContext() }
            yield &fast.unsafelyUnwrapped.output
        }
    }

    var outputSent: Int {
        get {
            if context == nil { attachContext() }
            return fast.unsafelyUnwrapped.outputSent
        }
        set {
            if context == nil { attachContext() }
            fast.unsafelyUnwrapped.outputSent = newValue
        }
    }

    var forwardedBlock: [UInt8] {
        _read {
            if context == nil { attachContext() }
            yield fast.unsafelyUnwrapped.forwardedBlock
        }
    }

    /// `X-Forwarded-For/-Proto/-Port` for untrusted peers, built when a context is taken
    /// (and again when a PROXY header names the real client).
    func rebuildForwardedBlock() {
        if context == nil { attachContext() }
        buildForwardedBlock(into: fast.unsafelyUnwrapped)
    }

    /// The block names the address, not the port (each connection has its own port).
    private static func sameHost(_ a: ClientAddress?, _ b: ClientAddress?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        return a.family == b.family && a.high == b.high && a.low == b.low
    }

    private func buildForwardedBlock(into context: RequestContext) {
        context.forwardedBlock.removeAll(keepingCapacity: true)
        context.forwardedBlock.append(contentsOf: "X-Forwarded-For: ".utf8)
        clientAddress?.appendAddressText(to: &context.forwardedBlock)
        context.forwardedBlock.append(contentsOf: "\r\n".utf8)
        context.forwardedBlock.append(contentsOf: listener.protoAndPortBlock)
        context.forwardedFor = clientAddress
        context.forwardedListenerBlock = listener.protoAndPortBlock
        context.forwardedBuilt = true
    }

    /// Without taking a context: an idle connection has nothing to write.
    var hasPendingOutput: Bool {
        guard let context else { return false }
        return context.outputSent < context.output.count
    }
}
