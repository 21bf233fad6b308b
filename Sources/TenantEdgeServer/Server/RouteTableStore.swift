import Synchronization
import TenantEdgeCore

/// Publishes the current RouteTable to the workers.
///
/// The control thread swaps in a new immutable table; workers compare a version number
/// (one relaxed-cost atomic load per loop iteration) and take the lock only when it
/// changed, so the request path never contends (DESIGN.md section 2).
public final class RouteTableStore: Sendable {
    private let table: Mutex<RouteTable>
    private let version = Atomic<UInt64>(0)

    public init(_ initial: RouteTable) {
        self.table = Mutex(initial)
    }

    public var current: RouteTable { table.withLock { $0 } }
    public var currentVersion: UInt64 { version.load(ordering: .acquiring) }

    public func publish(_ newTable: RouteTable) {
        table.withLock { $0 = newTable }
        version.wrappingAdd(1, ordering: .releasing)
    }

    /// The table if it changed since `seen`, updating `seen`.
    func refresh(_ seen: inout UInt64) -> RouteTable? {
        let now = version.load(ordering: .acquiring)
        guard now != seen else { return nil }
        seen = now
        return current
    }
}
