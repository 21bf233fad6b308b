import Synchronization

/// Process-wide state the admin thread reads: whether we are draining.
final class Lifecycle: Sendable {
    private let draining = Atomic<Bool>(false)

    var isDraining: Bool { draining.load(ordering: .acquiring) }

    func beginDrain() {
        draining.store(true, ordering: .releasing)
    }
}
