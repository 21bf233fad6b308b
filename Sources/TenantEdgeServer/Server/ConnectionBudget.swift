import Synchronization

/// `limits.max_connections` across all workers, when the per-worker limits alone could
/// exceed it (their sum is larger). One shared counter, touched once when a connection is
/// accepted and once when it closes, never per request; when the per-worker limits already
/// imply the total (the default: an equal share each), workers do not touch it at all.
public final class ConnectionBudget: Sendable {
    private let open = Atomic<Int>(0)
    private let limit: Atomic<Int>

    init(limit: Int) {
        self.limit = Atomic(limit)
    }

    /// A reload's `max_connections`; connections over a lowered limit stay open.
    func setLimit(_ value: Int) {
        limit.store(value, ordering: .relaxed)
    }

    /// Takes a place for one more connection, or returns false at the limit.
    func take() -> Bool {
        let count = open.wrappingAdd(1, ordering: .relaxed).newValue
        if count <= limit.load(ordering: .relaxed) { return true }
        open.wrappingSubtract(1, ordering: .relaxed)
        return false
    }

    func giveBack() {
        open.wrappingSubtract(1, ordering: .relaxed)
    }

    var hasRoom: Bool { open.load(ordering: .relaxed) < limit.load(ordering: .relaxed) }
}
