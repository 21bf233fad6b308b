import CLinux
import Glibc

/// One worker's epoll instance.
///
/// Descriptors are registered once, edge-triggered, for both directions: the worker keeps
/// its own readiness flags, so a request never costs an `epoll_ctl` to change interest
/// (nginx does the same). Invariant: `events` holds `capacity` entries, owned here, read
/// only by the worker thread between calls to `wait`.
final class Epoll {
    let fd: Int32
    private let events: UnsafeMutablePointer<epoll_event>
    let capacity: Int

    init(capacity: Int = 512) throws(SocketError) {
        let fd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard fd >= 0 else { throw SocketError(operation: "epoll_create1", errno: errno) }
        self.fd = fd
        self.capacity = capacity
        self.events = .allocate(capacity: capacity)
    }

    deinit {
        events.deallocate()
        Glibc.close(fd)
    }

    static let readWrite: UInt32 = EPOLLIN.rawValue | EPOLLOUT.rawValue | EPOLLRDHUP.rawValue | EPOLLET.rawValue
    static let readOnly: UInt32 = EPOLLIN.rawValue

    func add(_ descriptor: Int32, token: UInt64, events mask: UInt32) -> Bool {
        var event = epoll_event()
        event.events = mask
        event.data.u64 = token
        return epoll_ctl(fd, EPOLL_CTL_ADD, descriptor, &event) == 0
    }

    func remove(_ descriptor: Int32) {
        var event = epoll_event()
        epoll_ctl(fd, EPOLL_CTL_DEL, descriptor, &event)
    }

    /// Waits up to `timeoutMs`; calls `body` with each event's token and mask.
    func wait(timeoutMs: Int32, _ body: (UInt64, UInt32) -> Void) {
        let n = epoll_wait(fd, events, Int32(capacity), timeoutMs)
        guard n > 0 else { return }
        for i in 0..<Int(n) {
            body(events[i].data.u64, events[i].events)
        }
    }
}

/// An eventfd that other threads write to wake a worker (shutdown, reload).
final class WakeEvent: @unchecked Sendable {
    // Sendable: the descriptor is immutable and eventfd writes are thread-safe.
    let fd: Int32

    init() throws(SocketError) {
        let fd = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        guard fd >= 0 else { throw SocketError(operation: "eventfd", errno: errno) }
        self.fd = fd
    }

    deinit { Glibc.close(fd) }

    func signal() {
        var one: UInt64 = 1
        _ = Glibc.write(fd, &one, 8)
    }

    func drain() {
        var value: UInt64 = 0
        _ = Glibc.read(fd, &value, 8)
    }
}
