import Synchronization

/// One worker's counters, summed across workers when metrics are scraped.
///
/// Each worker writes only its own instance (a separate allocation, so workers never
/// share a cache line on the request path); the admin thread only reads. Single writer,
/// so an increment is a relaxed load and store, not a locked read-modify-write.
public final class WorkerCounters: Sendable {
    public enum Counter: Int, CaseIterable, Sendable {
        case connectionsAccepted, requests, forwarded, answeredLocally
        case status1xx, status2xx, status3xx, status4xx, status5xx
        case notFound, storeUnavailable, badRequests
        case upstreamConnects, upstreamConnectErrors, upstreamTimeouts, upstreamRetries
        case tlsHandshakes, tlsHandshakeFailures, misdirected
        case bytesIn, bytesOut
    }

    static let slots = 24
    private let values: InlineArray<24, Atomic<UInt64>>

    init() {
        precondition(Counter.allCases.count <= Self.slots)
        values = InlineArray { _ in Atomic<UInt64>(0) }
    }

    @inline(__always)
    func add(_ counter: Counter, _ amount: UInt64 = 1) {
        let slot = counter.rawValue
        values[slot].store(values[slot].load(ordering: .relaxed) &+ amount, ordering: .relaxed)
    }

    public func value(_ counter: Counter) -> UInt64 {
        values[counter.rawValue].load(ordering: .relaxed)
    }
}
