import Synchronization

/// The flags the main thread uses to steer the workers (stop, drain deadline), and the
/// eventfds that wake them so they notice at once rather than at their next timeout.
public final class ServerControl: Sendable {
    private let stopping = Atomic<Bool>(false)
    private let drainMs = Atomic<Int64>(30_000)
    private let wakes: [WakeEvent]
    /// `limits.max_connections` across workers (see ConnectionBudget).
    let connections: ConnectionBudget
    /// `limits.max_memory_mib` (see MemoryGuard).
    public let memory: MemoryGuard

    init(workers: Int, maxConnections: Int, maxMemoryBytes: Int = .max) throws(SocketError) {
        connections = ConnectionBudget(limit: maxConnections)
        memory = MemoryGuard(limitBytes: maxMemoryBytes)
        var wakes: [WakeEvent] = []
        for _ in 0..<workers { wakes.append(try WakeEvent()) }
        self.wakes = wakes
    }

    var isStopping: Bool { stopping.load(ordering: .relaxed) }
    var drainMilliseconds: Int64 { drainMs.load(ordering: .relaxed) }

    func wake(for worker: Int) -> WakeEvent { wakes[worker] }

    /// Stop accepting and let in-flight requests finish within `deadlineMs`.
    public func stop(deadlineMs: Int64) {
        drainMs.store(deadlineMs, ordering: .relaxed)
        stopping.store(true, ordering: .releasing)
        for wake in wakes { wake.signal() }
    }

    /// A reload's `limits.max_connections`.
    public func setMaxConnections(_ limit: Int) {
        connections.setLimit(limit)
    }

    /// Wakes every worker so it picks up a newly published route table now.
    public func wakeAll() {
        for wake in wakes { wake.signal() }
    }
}
