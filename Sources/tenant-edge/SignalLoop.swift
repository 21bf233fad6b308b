import CLinux
import Glibc

/// Receives process signals synchronously on the main thread through a signalfd.
///
/// The signals are blocked before any worker thread exists, so every thread inherits
/// the mask and none is ever interrupted by a handler; the main thread reads them as
/// ordinary events.
struct SignalLoop {
    enum Event { case reload, terminate, interrupt, reopenLogs }

    private let fd: Int32

    /// Call before starting any thread.
    init() {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in [SIGHUP, SIGTERM, SIGINT, SIGUSR1] { sigaddset(&set, signal) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
        Glibc.signal(SIGPIPE, SIG_IGN)
        fd = signalfd(-1, &set, Int32(SFD_CLOEXEC))
    }

    /// The last event returned, to tell SIGINT's short deadline from SIGTERM's.
    private(set) var lastEvent: Event?

    /// The next signal, or nil after `timeoutMs` (-1: wait forever).
    mutating func next(timeoutMs: Int32 = -1) -> Event? {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, timeoutMs) > 0 else { return nil }
        let event = read()
        lastEvent = event
        return event
    }

    private func read() -> Event {
        while true {
            var info = signalfd_siginfo()
            let n = Glibc.read(fd, &info, MemoryLayout<signalfd_siginfo>.size)
            guard n == MemoryLayout<signalfd_siginfo>.size else { continue }
            switch Int32(info.ssi_signo) {
            case SIGHUP: return .reload
            case SIGTERM: return .terminate
            case SIGINT: return .interrupt
            case SIGUSR1: return .reopenLogs
            default: continue
            }
        }
    }
}
