import Synchronization
import TenantEdgeCore

/// Publishes an immutable snapshot (the RouteTable, the certificate store) to the workers.
///
/// The control side swaps in a new value; workers compare a version number (one atomic
/// load per loop iteration) and take the lock only when it changed, so the request path
/// never contends (DESIGN.md section 2).
public final class SnapshotPublisher<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    private let version = Atomic<UInt64>(0)

    public init(_ initial: Value) {
        self.value = Mutex(initial)
    }

    public var current: Value { value.withLock { $0 } }
    public var currentVersion: UInt64 { version.load(ordering: .acquiring) }

    public func publish(_ newValue: Value) {
        value.withLock { $0 = newValue }
        version.wrappingAdd(1, ordering: .releasing)
    }

    /// The value if it changed since `seen`, updating `seen`.
    func refresh(_ seen: inout UInt64) -> Value? {
        let now = version.load(ordering: .acquiring)
        guard now != seen else { return nil }
        seen = now
        return current
    }
}

/// The hostname map the workers route with.
public typealias RouteTableStore = SnapshotPublisher<RouteTable>
/// The certificates TLS listeners present (nil when no listener uses TLS).
public typealias CertificatePublisher = SnapshotPublisher<CertificateStore?>
