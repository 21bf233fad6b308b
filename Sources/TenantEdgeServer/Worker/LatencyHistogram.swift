import Synchronization
import TenantEdgeCore

/// One worker's request-duration histogram over `LatencyBuckets`, summed at scrape time.
///
/// Same discipline as `WorkerCounters`: written by its worker only (relaxed load and store,
/// no read-modify-write), read by the admin thread, padded so no cache line is shared with
/// another worker's data. A scrape may see a bucket incremented before the sum; Prometheus
/// tolerates that skew between scrapes.
public final class LatencyHistogram: Sendable {
    /// Cache-line padding, the buckets, then sum and count, then padding.
    private static let padding = 8
    private static let sumSlot = padding + LatencyBuckets.count
    private static let countSlot = sumSlot + 1
    private let values: InlineArray<40, Atomic<UInt64>>

    public init() {
        precondition(Self.countSlot + Self.padding <= 40)
        values = InlineArray { _ in Atomic<UInt64>(0) }
    }

    /// Records one request of `microseconds` (negative counts as zero).
    @inline(__always)
    public func record(microseconds: Int64) {
        let duration = max(0, microseconds)
        bump(Self.padding &+ LatencyBuckets.index(microseconds: duration), 1)
        bump(Self.sumSlot, UInt64(duration))
        bump(Self.countSlot, 1)
    }

    @inline(__always)
    public func record(milliseconds: Int64) {
        record(microseconds: milliseconds &* 1000)
    }

    /// Non-cumulative bucket counts, `+Inf` last.
    public func bucketCounts() -> [UInt64] {
        (0..<LatencyBuckets.count).map { values[Self.padding + $0].load(ordering: .relaxed) }
    }

    public var sumMicroseconds: UInt64 { values[Self.sumSlot].load(ordering: .relaxed) }
    public var count: UInt64 { values[Self.countSlot].load(ordering: .relaxed) }

    @inline(__always)
    private func bump(_ slot: Int, _ amount: UInt64) {
        values[slot].store(values[slot].load(ordering: .relaxed) &+ amount, ordering: .relaxed)
    }
}
