import Glibc
import Synchronization

/// Where every worker's access log lines go: stdout or a file, shared by all workers.
///
/// Workers read `descriptor` at each flush (one atomic load). `reopen()` (SIGUSR1, after
/// logrotate moved the file away) opens the path again and `dup2`s the new file onto the
/// published descriptor number instead of publishing a new number and closing the old:
/// a worker that loaded the old number just before a close could otherwise write log lines
/// into whatever socket the kernel hands that number to next. `dup2` replaces the file
/// atomically, so a flush goes wholly to the old file or wholly to the new one.
public final class AccessLogFile: Sendable {
    /// nil for stdout.
    public let path: String?
    private let fd: Atomic<Int32>

    /// Opens `path` for appending (created 0640 if missing), or uses stdout for nil.
    public init(path: String?) throws(SocketError) {
        self.path = path
        if let path {
            fd = Atomic(try Self.open(path))
        } else {
            fd = Atomic(STDOUT_FILENO)
        }
    }

    var descriptor: Int32 { fd.load(ordering: .acquiring) }

    /// Reopens the file at its path; nothing to do for stdout. On failure the old file stays
    /// in use and the error says why (the caller logs it).
    public func reopen() throws(SocketError) {
        guard let path else { return }
        let fresh = try Self.open(path)
        defer { _ = Glibc.close(fresh) }
        let current = fd.load(ordering: .acquiring)
        var result: Int32
        repeat {
            result = dup2(fresh, current)
        } while result < 0 && errno == EINTR
        guard result >= 0 else { throw SocketError(operation: "reopen access log \(path)", errno: errno) }
        // dup2 clears close-on-exec on the target; restore it.
        _ = fcntl(current, F_SETFD, FD_CLOEXEC)
    }

    deinit {
        let current = fd.load(ordering: .relaxed)
        if path != nil { _ = Glibc.close(current) }
    }

    private static func open(_ path: String) throws(SocketError) -> Int32 {
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw SocketError(operation: "open access log \(path)", errno: errno) }
        return fd
    }
}
