import CLinux
import Glibc
import Logging
import TenantEdgeCore

/// One event-loop thread: its own epoll instance, its own `SO_REUSEPORT` listeners, its
/// own connections, upstream pools, token cache and buffers.
///
/// Nothing here is shared with other workers, so the request path takes no lock and the
/// compiler can see exclusive access. The only cross-thread inputs are the published
/// RouteTable (read on a version change) and the control flags (atomics).
final class Worker {
    enum Slot {
        case empty
        case listener(Int)
        case wake
        case client(ClientConnection)
        case upstream(UpstreamConnection)
    }

    let id: Int
    private(set) var settings: ServerSettings
    let settingsPublisher: SnapshotPublisher<ServerSettings>
    var settingsVersion: UInt64 = 0
    let routes: RouteTableStore
    let certificates: CertificatePublisher
    /// HTTP-01 answers served on plain-HTTP listeners (certificates on demand).
    let challenges: ACMEChallengeResponses
    var certificateStore: CertificateStore?
    var certificateVersion: UInt64 = 0
    let counters: WorkerCounters
    /// Joins a response head and body bytes into one TLS record (see clientWrite); between
    /// uses, where lingering connections' discarded bytes are read.
    let tlsScratch: UnsafeMutableRawBufferPointer
    let control: ServerControl
    let logger: Logger
    let epoll: Epoll
    var table: RouteTable
    var tableVersion: UInt64 = 0
    var listeners: [ListenerContext] = []
    var slots: [Slot] = []
    var serial: UInt32 = 0
    var groups: [UpstreamGroup]
    var tokens: TenantHeaderCache
    var hostScratch: [UInt8] = []
    var requestIdScratch: [UInt8] = []
    let requestIdPrefix: [UInt8]
    var requestCounter: UInt64 = 0
    /// Monotonic milliseconds, read once per loop iteration.
    var now: Int64 = 0
    /// Wall-clock seconds, for token `iat`/`exp`.
    var nowSeconds: Int64 = 0
    var lastSweep: Int64 = 0
    var clientCount = 0
    var draining = false
    /// Listeners are out of the epoll set while the connection limit is reached.
    var acceptPaused = false
    /// The pause is for the total (`control.connections`), not this worker's own limit: it
    /// ends as soon as the total has room, without the per-worker hysteresis, since the room
    /// may come from a connection closing on another worker while this one is still busy.
    var acceptPausedForTotal = false
    /// Connections of this worker counted in `control.connections` (all of them while the
    /// total limit is enforced; a reload can turn that on or off).
    var budgetTaken = 0
    let latency: LatencyHistogram
    /// Storage of idle connections' input buffers (clients between requests, pooled
    /// upstream connections), so that memory follows the requests in flight rather than
    /// the connections held open.
    var buffers: BufferPool
    /// Spare request contexts (see `RequestContext`): idle connections hold none.
    let contexts = RequestContextPool()
    /// HTTP/2 streams in progress; with `contexts.inUse`, what
    /// `limits.max_active_requests_per_worker` bounds.
    var h2ActiveStreams = 0
    /// Whether this worker has emptied its pools for the current episode over the memory limit.
    var poolsDrainedForMemory = false
    var accessLog: AccessLogWriter?
    var drainDeadline: Int64 = .max
    /// While draining: when the listeners, which no longer take new connection attempts,
    /// are emptied and closed (see `beginDrain`).
    var listenersCloseAt: Int64 = .max
    /// How long a draining worker keeps accepting what is already in its accept queues and
    /// in handshakes under way before closing its listeners: longer than a client round
    /// trip, well under the 1 s after which a client resends a dropped SYN (which then
    /// finds the listeners gone and goes to the other process).
    static let listenerSettleMs: Int64 = 250

    init(
        id: Int, settings settingsPublisher: SnapshotPublisher<ServerSettings>, routes: RouteTableStore, certificates: CertificatePublisher,
        counters: WorkerCounters, latency: LatencyHistogram, control: ServerControl, logger: Logger,
        challenges: ACMEChallengeResponses = ACMEChallengeResponses()
    ) throws(SocketError) {
        let settings = settingsPublisher.current
        self.latency = latency
        self.buffers = BufferPool(bufferSize: settings.clientBufferSize)
        if let file = settings.accessLog {
            var ts = timespec()
            clock_gettime(CLOCK_MONOTONIC_COARSE, &ts)
            self.accessLog = AccessLogWriter(
                file: file, sampleRate: settings.accessLogSample, worker: id, counters: counters,
                nowMs: Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000)
        }
        self.id = id
        self.settings = settings
        self.settingsPublisher = settingsPublisher
        self.settingsVersion = settingsPublisher.currentVersion
        self.routes = routes
        self.certificates = certificates
        self.challenges = challenges
        self.certificateStore = certificates.current
        self.certificateVersion = certificates.currentVersion
        self.counters = counters
        self.tlsScratch = .allocate(byteCount: 16 * 1024, alignment: 16)
        self.control = control
        self.logger = logger
        self.epoll = try Epoll()
        self.table = routes.current
        self.tableVersion = routes.currentVersion
        self.groups = settings.upstreams.map { UpstreamGroup(name: $0.name, addresses: $0.servers) }
        self.tokens = TenantHeaderCache(signer: settings.signer, ttlSeconds: settings.tokenTTLSeconds)
        var random = UInt64(0)
        random = UInt64.random(in: 1...UInt64.max)
        self.requestIdPrefix = Array(String(random, radix: 16).utf8) + [0x2D]
        hostScratch.reserveCapacity(256)
        requestIdScratch.reserveCapacity(40)
        slots = Array(repeating: .empty, count: 1024)
        for listener in settings.listeners {
            try openListener(listener)
        }
        setSlot(control.wake(for: id).fd, .wake)
        _ = epoll.add(control.wake(for: id).fd, token: UInt64(UInt32(control.wake(for: id).fd)), events: Epoll.readOnly)
        updateClock()
        lastSweep = now
    }

    deinit {
        tlsScratch.deallocate()
        buffers.drain()
    }

    func run() {
        while true {
            if control.isStopping && !draining { beginDrain() }
            if draining && !listeners.isEmpty && now >= listenersCloseAt { closeListeners() }
            if draining && listeners.isEmpty && (clientCount == 0 || now >= drainDeadline) { break }
            if let newTable = routes.refresh(&tableVersion) { table = newTable }
            if let newStore = certificates.refresh(&certificateVersion) { certificateStore = newStore }
            if !draining, let newSettings = settingsPublisher.refresh(&settingsVersion) { apply(newSettings) }
            epoll.wait(timeoutMs: 250) { token, events in
                self.handle(token: token, events: events)
            }
            updateClock()
            if now - lastSweep >= 250 {
                lastSweep = now
                sweep()
                watchMemory()
                buffers.shrink()
                contexts.shrink()
                accessLog?.flushIfDue(nowMs: now)
                if buffers.freedSinceTrim >= 64 {
                    // Many connections went idle at once: give the freed pages back to the
                    // system instead of keeping the high-water mark resident.
                    buffers.trimmed()
                    malloc_trim(0)
                }
            }
        }
        closeEverything()
        accessLog?.flush()
    }

    /// Worker 0 samples the process's memory; every worker follows the shared flag. On going
    /// over, a worker frees every spare buffer and request context at once (the pools are
    /// what can be given back without touching a connection) and returns the pages.
    private func watchMemory() {
        if id == 0 {
            let was = control.memory.isOverloaded
            let over = control.memory.sample()
            if over != was {
                let metadata: Logger.Metadata = [
                    "resident_mib": "\(control.memory.residentBytes >> 20)", "limit_mib": "\(control.memory.limitBytes >> 20)"]
                if over {
                    logger.warning("memory limit reached: shedding new requests with 503", metadata: metadata)
                } else {
                    logger.notice("memory back under the limit: serving new requests", metadata: metadata)
                }
            }
        }
        let over = control.memory.isOverloaded
        guard over != poolsDrainedForMemory else { return }
        poolsDrainedForMemory = over
        buffers.keepsSpares = !over
        if over {
            buffers.drain()
            contexts.drain()
            buffers.trimmed()
            malloc_trim(0)
        }
    }

    /// Over `limits.max_memory_mib`: new requests are shed. Read from the shared flag (a
    /// plain load; the line is written only when the state changes) so every worker sheds
    /// from the same sample on.
    var memoryShedding: Bool { control.memory.isOverloaded }

    /// Whether a new request (one holding no request context yet) must be shed.
    var mustShedNewRequest: Bool {
        memoryShedding || contexts.inUse &+ h2ActiveStreams >= settings.maxActiveRequestsPerWorker
    }

    func updateClock() {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts)
        now = Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
        nowSeconds = Int64(time(nil))
    }

    // MARK: descriptor table

    func setSlot(_ fd: Int32, _ slot: Slot) {
        let index = Int(fd)
        if index >= slots.count {
            slots.append(contentsOf: repeatElement(.empty, count: max(index + 1 - slots.count, slots.count)))
        }
        slots[index] = slot
    }

    func nextSerial() -> UInt32 {
        serial = serial &+ 1
        if serial == 0 { serial = 1 }
        return serial
    }

    static func token(fd: Int32, serial: UInt32) -> UInt64 {
        UInt64(UInt32(bitPattern: fd)) | (UInt64(serial) << 32)
    }

    private func handle(token: UInt64, events: UInt32) {
        let fd = Int(UInt32(truncatingIfNeeded: token))
        let tokenSerial = UInt32(truncatingIfNeeded: token >> 32)
        guard fd < slots.count else { return }
        let readMask = EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue
        let writeMask = EPOLLOUT.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue
        let hangupMask = EPOLLRDHUP.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue
        switch slots[fd] {
        case .listener(let index):
            acceptConnections(listeners[index])
        case .wake:
            control.wake(for: id).drain()
        case .client(let client):
            guard client.serial == tokenSerial else { return }
            if events & hangupMask != 0 { client.hangup = true }
            noteReadiness(client, readable: events & readMask != 0, writable: events & writeMask != 0)
            process(client)
        case .upstream(let upstream):
            guard upstream.serial == tokenSerial else { return }
            if events & readMask != 0 { upstream.readable = true }
            if events & hangupMask != 0 { upstream.hangup = true }
            if events & writeMask != 0 { upstream.writable = true }
            if let client = upstream.client {
                process(client)
            } else if let stream = upstream.stream {
                h2ProcessStream(stream)
                process(stream.session.client)
            } else if upstream.connected && events & readMask != 0 {
                // An idle pooled connection that became readable: the backend closed it
                // or sent bytes nobody asked for. Either way it can no longer be trusted.
                closeUpstream(upstream)
            }
        case .empty:
            return
        }
    }

    private func acceptConnections(_ listener: ListenerContext) {
        var peer = SocketAddress(storage: sockaddr_storage(), length: 0)
        while true {
            if clientCount >= settings.maxConnectionsPerWorker {
                // Over the limit: stop accepting (the kernel's backlog holds or refuses the
                // rest) rather than accept and fail; resumed as connections close.
                pauseAccepting(forTotal: false)
                return
            }
            let budgeted = settings.enforcesTotalLimit
            if budgeted && !control.connections.take() {
                pauseAccepting(forTotal: true)
                return
            }
            let fd = Socket.accept(listener.fd, peer: &peer)
            if fd < 0 {
                if budgeted { control.connections.giveBack() }
                let e = errno
                if e == EMFILE || e == ENFILE {
                    logger.warning("accept: out of file descriptors", metadata: ["worker": "\(id)"])
                }
                return
            }
            let client = ClientConnection(
                fd: fd, serial: nextSerial(), listener: listener, peer: peer,
                bufferSize: settings.clientBufferSize, contexts: contexts)
            setSlot(fd, .client(client))
            guard epoll.add(fd, token: Self.token(fd: fd, serial: client.serial), events: Epoll.readWrite) else {
                setSlot(fd, .empty)
                Socket.close(fd)
                if budgeted { control.connections.giveBack() }
                continue
            }
            clientCount += 1
            if budgeted { budgetTaken += 1 }
            client.idleSince = now
            counters.add(.connectionsAccepted)
            counters.add(.http1Opened)
            client.deadline = now + settings.timeouts.clientHeader
            if let address = client.peer { client.trustedPeer = settings.trustedProxies.contains(address) }
            if listener.scheme == .https {
                guard let store = certificateStore, let session = TLSSession(fd: fd, store: store) else {
                    closeClient(client)
                    continue
                }
                client.tls = session
                client.state = .handshaking
            }
            if listener.proxyProtocol { client.state = .proxyHeader }
        }
    }

    // MARK: closing

    func closeClient(_ client: ClientConnection) {
        guard client.state != .closed else { return }
        client.state = .closed
        if let upstream = client.upstream {
            client.upstream = nil
            closeUpstream(upstream)
        }
        if let h2 = client.h2 {
            for stream in h2.streams.values {
                stream.closed = true
                if stream.countedActive {
                    stream.countedActive = false
                    h2ActiveStreams -= 1
                }
                if let upstream = stream.upstream {
                    stream.upstream = nil
                    upstream.stream = nil
                    closeUpstream(upstream)
                }
            }
            h2.streams.removeAll()
            h2.close()
            client.h2 = nil
        }
        if client.requests > 0 || client.context?.state.pointee.exchange.responseHeadDone == true { client.tls?.shutdown() }
        client.releaseContext()
        client.input.recycleStorage(to: &buffers)
        setSlot(client.fd, .empty)
        Socket.close(client.fd)
        clientCount -= 1
        if budgetTaken > 0 {
            budgetTaken -= 1
            control.connections.giveBack()
        }
        counters.add(client.h2Started ? .h2Closed : .http1Closed)
        if client.tunnelOpen { counters.add(.tunnelsClosed) }
        if acceptPaused { resumeAcceptingIfRoom() }
    }

    /// Closes after what was queued has been sent, reading and discarding what the client
    /// still sends for a moment, so that the kernel does not answer unread bytes with a
    /// reset that destroys the response we just wrote (nginx's lingering close).
    func lingerAndClose(_ client: ClientConnection) {
        if let upstream = client.upstream {
            client.upstream = nil
            closeUpstream(upstream)
        }
        client.tls?.shutdown()
        Socket.shutdownWrite(client.fd)
        // What a closing client still sends is read into the worker's scratch and dropped:
        // a lingering connection holds no buffer for its two seconds (under a flood of shed
        // requests, thousands of them would otherwise pin 33 KiB each).
        client.input.recycleStorage(to: &buffers)
        client.state = .lingering
        client.deadline = now + 2_000
    }

    private func openListener(_ listener: ServerSettings.Listener) throws(SocketError) {
        let fd = try Socket.listen(listener.address)
        let context = ListenerContext(
            fd: fd, scheme: listener.https ? .https : .http, port: listener.address.port,
            proxyProtocol: listener.proxyProtocol, spec: listener)
        listeners.append(context)
        setSlot(fd, .listener(listeners.count - 1))
        if !acceptPaused { _ = epoll.add(fd, token: UInt64(UInt32(fd)), events: Epoll.readOnly) }
    }

    /// A reload's settings: listeners opened and closed to match (connections already
    /// accepted are untouched: they do not belong to a listener), upstream groups rebuilt
    /// when they changed (exchanges in flight finish on their old connections), signer,
    /// pages, timeouts and limits taken as they are.
    private func apply(_ new: ServerSettings) {
        let wanted = new.listeners
        for listener in listeners where !wanted.contains(where: { $0.sameSocket(as: listener.spec) }) {
            epoll.remove(listener.fd)
            setSlot(listener.fd, .empty)
            Socket.close(listener.fd)
        }
        listeners.removeAll { listener in !wanted.contains(where: { $0.sameSocket(as: listener.spec) }) }
        for (index, listener) in listeners.enumerated() { setSlot(listener.fd, .listener(index)) }
        for listener in wanted where !listeners.contains(where: { $0.spec.sameSocket(as: listener) }) {
            do {
                try openListener(listener)
            } catch {
                logger.error("cannot open listener on reload", metadata: ["worker": "\(id)", "error": "\(error)"])
            }
        }
        if new.upstreams.map(\.description) != settings.upstreams.map(\.description) {
            for group in groups {
                for server in group.servers {
                    while let idle = server.takeIdle() { closeUpstream(idle) }
                }
            }
            groups = new.upstreams.map { UpstreamGroup(name: $0.name, addresses: $0.servers) }
        }
        tokens.replaceSigner(new.signer)
        settings = new
    }

    /// Back to its server's idle pool after a clean exchange, else closed.
    func releaseUpstream(_ upstream: UpstreamConnection, reusable: Bool) {
        if reusable && !draining {
            upstream.reused = true
            upstream.idleSince = now
            if upstream.input.hasStorage { upstream.input.releaseStorage(to: &buffers) }
            upstream.server.idle.append(upstream)
        } else {
            closeUpstream(upstream)
        }
    }

    func closeUpstream(_ upstream: UpstreamConnection) {
        guard !upstream.closed else { return }
        upstream.closed = true
        upstream.client = nil
        upstream.stream = nil
        setSlot(upstream.fd, .empty)
        Socket.close(upstream.fd)
    }

    // MARK: timers

    /// Acts on connections whose deadline passed. One pass over the descriptor table
    /// every 250 ms replaces per-request timers (no timer syscalls on the request path).
    private func sweep() {
        if acceptPaused { resumeAcceptingIfRoom() }
        for index in slots.indices {
            switch slots[index] {
            case .client(let client) where client.deadline <= now:
                expire(client)
            case .client(let client) where client.state == .readingHead && !client.shrunk
                && client.input.isEmpty && now - client.idleSince >= 1_000:
                shrinkIdle(client)
            case .upstream(let upstream):
                if let stream = upstream.stream {
                    if stream.deadline <= now { h2Expire(stream) }
                } else if upstream.client == nil && now - upstream.idleSince >= settings.timeouts.upstreamIdle {
                    closeUpstream(upstream)
                }
            default:
                continue
            }
        }
    }

    /// A keep-alive connection idle for a second gives back its input buffer and its request
    /// context to the worker's pools; the request path never pays for this.
    private func shrinkIdle(_ client: ClientConnection) {
        if client.input.hasStorage { client.input.releaseStorage(to: &buffers) }
        client.releaseContext()
        client.shrunk = true
    }

    private func pauseAccepting(forTotal: Bool) {
        guard !acceptPaused else { return }
        acceptPaused = true
        acceptPausedForTotal = forTotal
        counters.add(.connectionsOverLimit)
        logger.warning("connection limit reached; not accepting", metadata: [
            "worker": "\(id)", "limit": "\(forTotal ? settings.maxConnections : settings.maxConnectionsPerWorker)",
            "scope": "\(forTotal ? "total" : "worker")"])
        for listener in listeners { epoll.remove(listener.fd) }
    }

    /// A tenth below the worker's limit, at least one (below the limit itself when the pause was for the
    /// total) and, when enforced, with room in the total: a pause for the total ends here
    /// too, checked on every sweep, since the connections that free room may close on other
    /// workers.
    private func resumeAcceptingIfRoom() {
        // Hysteresis of a tenth of the limit against flapping at the limit, but at least one
        // place: with a small limit (3), 90% rounded down needed two closes before a queued
        // connection was taken, and one close left it waiting.
        let limit = settings.maxConnectionsPerWorker
        let threshold = acceptPausedForTotal ? limit : limit - max(1, limit / 10) + 1
        guard clientCount < threshold || clientCount == 0 else { return }
        guard !settings.enforcesTotalLimit || control.connections.hasRoom else { return }
        resumeAccepting()
    }

    private func resumeAccepting() {
        acceptPaused = false
        for listener in listeners {
            _ = epoll.add(listener.fd, token: UInt64(UInt32(listener.fd)), events: Epoll.readOnly)
        }
    }

    /// Stop taking connections without resetting any: closing a listener at once would
    /// reset what waits in its accept queue (with `SO_REUSEPORT`, the kernel keeps handing
    /// connections to every listener of the port until it is closed). So the listeners first
    /// drop new connection attempts, keep accepting what already arrived for
    /// `listenerSettleMs`, then are emptied once more and closed (`closeListeners`).
    /// Connections accepted meanwhile are served like the others: one request, then closed.
    private func beginDrain() {
        draining = true
        drainDeadline = now + control.drainMilliseconds
        listenersCloseAt = min(now + Self.listenerSettleMs, drainDeadline)
        for listener in listeners where !Socket.dropNewConnectionAttempts(listener.fd) {
            logger.warning("cannot filter new connections on a draining listener", metadata: [
                "worker": "\(id)", "errno": "\(errno)"])
        }
        for index in slots.indices {
            guard case .client(let client) = slots[index] else { continue }
            // Idle keep-alive connections close; one accepted but yet to send its first
            // request is not idle: it gets its answer.
            if client.state == .readingHead && client.input.isEmpty && client.requests > 0 {
                closeClient(client)
            } else if let h2 = client.h2 {
                h2.goAway()
                h2Flush(client)
            }
        }
    }

    private func closeListeners() {
        for listener in listeners {
            if !acceptPaused { acceptConnections(listener) }
            epoll.remove(listener.fd)
            setSlot(listener.fd, .empty)
            Socket.close(listener.fd)
        }
        listeners.removeAll()
    }

    private func closeEverything() {
        for index in slots.indices {
            switch slots[index] {
            case .client(let client): closeClient(client)
            case .upstream(let upstream): closeUpstream(upstream)
            case .listener(let i): Socket.close(listeners[i].fd)
            default: continue
            }
        }
        // An idle pooled connection and its server refer to each other; the pool lets go so
        // that both are freed (LeakSanitizer checks this at exit).
        for group in groups {
            for server in group.servers { server.idle.removeAll() }
        }
    }
}
