import CLinux
import Foundation
import Glibc
import Logging
import Synchronization
import TenantEdgeCore

/// The admin listener (`admin:`): health, readiness, metrics, route lookup and JWKS on a
/// thread of its own, away from the workers' event loops, so a slow scrape or a stuck
/// client never delays a proxied request and a busy worker never delays a probe.
///
/// A `poll(2)` loop over a handful of connections: one request per connection, answered
/// and closed (`Connection: close`), each with a read/write deadline and a bounded head.
/// Loopback by default, so simplicity wins over throughput here.
public final class AdminServer: Sendable {
    /// Connections served at once; more wait in the kernel's backlog.
    static let maxConnections = 32
    /// From accept to the last response byte.
    static let connectionTimeoutMs: Int64 = 5_000

    public let address: SocketAddress
    private let listener: Int32
    private let wake: WakeEvent
    private let router: AdminRouter
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Binds now, so a taken port is an error at start and not a silent missing endpoint.
    public init(address: SocketAddress, sources: AdminSources, logger: Logger) throws(SocketError) {
        self.address = address
        self.listener = try Socket.listen(address, backlog: 64, reusePort: false)
        self.wake = try WakeEvent()
        self.router = AdminRouter(sources: sources)
        self.logger = logger
    }

    /// Starts the admin thread.
    public func start() {
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.name = "tenant-edge-admin"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Stops the thread and closes the listener; returns once the thread has exited.
    public func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        wake.signal()
        finished.wait()
    }

    private func run() {
        logger.info("admin listener ready", metadata: ["address": "\(address)"])
        var connections: [AdminConnection] = []
        var polls: [pollfd] = []
        var readBuffer = [UInt8](repeating: 0, count: 4096)
        while !stopping.load(ordering: .acquiring) {
            polls.removeAll(keepingCapacity: true)
            polls.append(pollfd(fd: wake.fd, events: Int16(POLLIN), revents: 0))
            let accepting = connections.count < Self.maxConnections
            polls.append(pollfd(fd: accepting ? listener : -1, events: Int16(POLLIN), revents: 0))
            for connection in connections {
                let events = connection.phase == .reading ? POLLIN : POLLOUT
                polls.append(pollfd(fd: connection.fd, events: Int16(events), revents: 0))
            }
            let now = Self.nowMs()
            let nearest = connections.map(\.deadlineMs).min().map { max(0, $0 - now) } ?? 1_000
            let ready = poll(&polls, nfds_t(polls.count), Int32(min(nearest, 1_000)))
            if ready < 0, errno != EINTR {
                logger.error("admin poll failed", metadata: ["errno": "\(errno)"])
                break
            }
            if polls[0].revents != 0 { wake.drain() }
            let after = Self.nowMs()
            for index in connections.indices {
                let revents = polls[index + 2].revents
                service(&connections[index], revents: revents, now: after, buffer: &readBuffer)
            }
            connections.removeAll { connection in
                if connection.phase == .done { Socket.close(connection.fd) }
                return connection.phase == .done
            }
            if accepting, polls[1].revents & Int16(POLLIN) != 0 {
                acceptAll(into: &connections, now: after)
            }
        }
        for connection in connections { Socket.close(connection.fd) }
        Socket.close(listener)
    }

    private func service(_ connection: inout AdminConnection, revents: Int16, now: Int64, buffer: inout [UInt8]) {
        if connection.phase == .reading {
            if revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                let result = buffer.withUnsafeMutableBytes { Socket.read(connection.fd, into: $0) }
                switch result {
                case .bytes(let count):
                    buffer.withUnsafeBytes { connection.received(UnsafeRawBufferPointer(rebasing: $0[0..<count]), router: router) }
                case .wouldBlock:
                    break
                case .closed, .failed:
                    connection.phase = .done
                    return
                }
            }
            if connection.phase == .reading, now >= connection.deadlineMs { connection.timedOut() }
        }
        if connection.phase == .writing {
            if now >= connection.deadlineMs + 1_000 {
                connection.phase = .done  // the client stopped reading; give up
                return
            }
            let remaining = connection.output.count - connection.written
            let result = connection.output.withUnsafeBytes { bytes in
                Socket.write(connection.fd, UnsafeRawBufferPointer(rebasing: bytes[connection.written...]),
                             UnsafeRawBufferPointer(start: nil, count: 0))
            }
            switch result {
            case .bytes(let count):
                connection.written += count
                if count == remaining {
                    Socket.shutdownWrite(connection.fd)
                    connection.phase = .done
                }
            case .wouldBlock:
                break
            case .closed, .failed:
                connection.phase = .done
            }
        }
    }

    private func acceptAll(into connections: inout [AdminConnection], now: Int64) {
        while connections.count < Self.maxConnections {
            var peer = SocketAddress(storage: sockaddr_storage(), length: 0)
            let fd = Socket.accept(listener, peer: &peer)
            guard fd >= 0 else { return }
            connections.append(AdminConnection(fd: fd, deadlineMs: now + Self.connectionTimeoutMs))
        }
    }

    private static func nowMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
