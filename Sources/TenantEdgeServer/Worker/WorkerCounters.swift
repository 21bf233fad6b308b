import Synchronization
import TenantEdgeCore

/// One worker's counters, summed across workers when metrics are scraped.
///
/// Each worker writes only its own instance (a separate allocation, so workers never
/// share a cache line on the request path); the admin thread only reads. Single writer,
/// so an increment is a relaxed load and store, not a locked read-modify-write.
/// The slots in use are padded by a cache line on each side, so that the end of one
/// worker's block and the start of the next allocation (another worker's) never share one.
public final class WorkerCounters: Sendable {
    public enum Counter: Int, CaseIterable, Sendable {
        case connectionsAccepted, requests, forwarded, answeredLocally
        case status1xx, status2xx, status3xx, status4xx, status5xx
        /// `notFound` .. `misdirected` and the cases after `bytesOut` up to `internalErrors`
        /// count requests by `RequestOutcome`; `storeUnavailable` is `RequestOutcome.inactive`.
        case notFound, storeUnavailable, badRequests
        case upstreamConnects, upstreamConnectErrors, upstreamTimeouts, upstreamRetries
        case tlsHandshakes, tlsHandshakeFailures, misdirected
        case bytesIn, bytesOut
        case passthrough, provisioning, storeClosed, healthChecks, redirects, internalErrors
        /// Connections closed at once because `limits` was reached.
        case connectionsOverLimit
        /// Connections closed for a missing or invalid PROXY protocol header.
        case proxyProtocolRejections
        /// Access log lines lost because the log could not be written.
        case accessLogLinesDropped
        /// Opened/closed pairs per protocol; active = opened - closed (see `activeConnections`).
        case http1Opened, http1Closed, h2Opened, h2Closed, tunnelsOpened, tunnelsClosed
        /// Requests answered 503 because `limits.max_active_requests_per_worker` was reached.
        case requestsShed
        /// Requests answered 503 because the process was over `limits.max_memory_mib`.
        case requestsShedMemory
    }

    static let slots = 48
    /// 8 slots of 8 bytes: one cache line before the first slot in use.
    private static let padding = 8
    private let values: InlineArray<64, Atomic<UInt64>>

    public init() {
        precondition(Counter.allCases.count <= Self.slots)
        values = InlineArray { _ in Atomic<UInt64>(0) }
    }

    @inline(__always)
    func add(_ counter: Counter, _ amount: UInt64 = 1) {
        let slot = counter.rawValue &+ Self.padding
        values[slot].store(values[slot].load(ordering: .relaxed) &+ amount, ordering: .relaxed)
    }

    public func value(_ counter: Counter) -> UInt64 {
        values[counter.rawValue + Self.padding].load(ordering: .relaxed)
    }

    /// The counter a request of `outcome` increments, so the worker and `/metrics` agree.
    public static func counter(for outcome: RequestOutcome) -> Counter {
        switch outcome {
        case .forwarded: .forwarded
        case .passthrough: .passthrough
        case .notFound: .notFound
        case .provisioning: .provisioning
        case .inactive: .storeUnavailable
        case .closed: .storeClosed
        case .badRequest: .badRequests
        case .misdirected: .misdirected
        case .health: .healthChecks
        case .redirect: .redirects
        case .error: .internalErrors
        }
    }

    /// The status-class counter for an HTTP status.
    @inline(__always)
    public static func counter(forStatus status: Int) -> Counter {
        switch status {
        case ..<200: .status1xx
        case 200..<300: .status2xx
        case 300..<400: .status3xx
        case 400..<500: .status4xx
        default: .status5xx
        }
    }
}

extension [WorkerCounters] {
    /// `counter` summed over all workers.
    public func sum(_ counter: WorkerCounters.Counter) -> UInt64 {
        reduce(0) { $0 &+ $1.value(counter) }
    }

    /// Open connections by protocol from the opened/closed pairs. A scrape may read a close
    /// before its open; the difference is clamped at zero rather than shown negative.
    public func activeConnections() -> [EdgeMetrics.ConnectionCount] {
        func active(_ opened: WorkerCounters.Counter, _ closed: WorkerCounters.Counter) -> Int {
            let open = sum(opened)
            let shut = sum(closed)
            return open > shut ? Int(open - shut) : 0
        }
        return [
            EdgeMetrics.ConnectionCount(protocolName: "http1", count: active(.http1Opened, .http1Closed)),
            EdgeMetrics.ConnectionCount(protocolName: "h2", count: active(.h2Opened, .h2Closed)),
            EdgeMetrics.ConnectionCount(protocolName: "websocket", count: active(.tunnelsOpened, .tunnelsClosed)),
        ]
    }
}
