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

    /// The request context, taken from the pool if the connection has none.
    var active: RequestContext {
        if let context { return context }
        let context = contexts.take()
        self.context = context
        buildForwardedBlock(into: &context.forwardedBlock)
        context.exchange.bytesReadAtStart = bytesRead
        context.exchange.bytesWrittenAtStart = bytesWritten
        return context
    }

    /// Gives the context back (idle connection, or closing); the next use takes one again.
    func releaseContext() {
        guard let context else { return }
        self.context = nil
        contexts.give(context)
    }

    var parser: HTTPRequestParser {
        _read { yield active.parser }
        _modify { yield &active.parser }
    }

    var exchange: Exchange {
        _read { yield active.exchange }
        _modify { yield &active.exchange }
    }

    var output: [UInt8] {
        _read { yield active.output }
        _modify { yield &active.output }
    }

    var outputSent: Int {
        get { active.outputSent }
        set { active.outputSent = newValue }
    }

    var forwardedBlock: [UInt8] {
        _read { yield active.forwardedBlock }
    }

    /// `X-Forwarded-For/-Proto/-Port` for untrusted peers, built when a context is taken
    /// (and again when a PROXY header names the real client).
    func rebuildForwardedBlock() {
        buildForwardedBlock(into: &active.forwardedBlock)
    }

    private func buildForwardedBlock(into block: inout [UInt8]) {
        block.removeAll(keepingCapacity: true)
        block.append(contentsOf: "X-Forwarded-For: ".utf8)
        clientAddress?.appendAddressText(to: &block)
        block.append(contentsOf: "\r\n".utf8)
        block.append(contentsOf: listener.protoAndPortBlock)
    }

    /// Without taking a context: an idle connection has nothing to write.
    var hasPendingOutput: Bool {
        guard let context else { return false }
        return context.outputSent < context.output.count
    }
}
