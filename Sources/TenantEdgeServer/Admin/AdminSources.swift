import TenantEdgeCore

/// What the admin listener reports on, handed in by whoever wires the server: live objects
/// it only reads (the route table store, the per-worker counters) and closures for state
/// owned elsewhere (readiness, the change feed), so the admin thread never shares mutable
/// state with the workers or the control thread.
public struct AdminSources: Sendable {
    public var routes: RouteTableStore
    /// One per worker, summed per scrape.
    public var counters: [WorkerCounters]
    /// One per worker, summed per scrape; empty leaves the duration histogram at zero.
    public var latency: [LatencyHistogram]
    /// False with a reason while starting or draining ("draining").
    public var readiness: @Sendable () -> (ready: Bool, reason: String?)
    /// Generation, size, age and feed counters of the route map.
    public var routeStatus: @Sendable () -> RouteMapStatus
    /// Open client connections by protocol.
    public var activeConnections: @Sendable () -> [EdgeMetrics.ConnectionCount]
    /// The body of `/.well-known/jwks.json`.
    public var jwks: @Sendable () -> String
    /// Required as `Authorization: Bearer <token>` on every endpoint but `/healthz`; nil
    /// leaves the listener open.
    public var bearerToken: String?
    /// A host's on-demand certificate state as a JSON object, added to `/routes/<host>` as
    /// `certificate`; nil when ACME is off.
    public var certificateState: (@Sendable (String) -> String)?
    /// More Prometheus text appended to `/metrics` (the ACME issuer's gauges and counters).
    public var extraMetrics: (@Sendable () -> String)?
    /// `limits.max_memory_mib` and its state, for `/metrics`; nil reports resident memory only.
    public var memory: MemoryGuard?

    /// `activeConnections` defaults to the opened/closed counters of `counters`; `jwks` to an
    /// empty key set, which is right while only HS256 (a shared secret) signs.
    public init(routes: RouteTableStore, counters: [WorkerCounters], latency: [LatencyHistogram] = [],
                readiness: @escaping @Sendable () -> (ready: Bool, reason: String?),
                routeStatus: @escaping @Sendable () -> RouteMapStatus,
                activeConnections: (@Sendable () -> [EdgeMetrics.ConnectionCount])? = nil,
                jwks: @escaping @Sendable () -> String = { "{\"keys\":[]}" },
                bearerToken: String? = nil) {
        self.routes = routes
        self.counters = counters
        self.latency = latency
        self.readiness = readiness
        self.routeStatus = routeStatus
        self.activeConnections = activeConnections ?? { counters.activeConnections() }
        self.jwks = jwks
        self.bearerToken = bearerToken
    }

    /// Sums every worker's counters into the values `/metrics` renders.
    public func metrics() -> EdgeMetrics {
        var metrics = EdgeMetrics()
        metrics.workers = counters.count
        let readiness = readiness()
        let routeMap = routeStatus()
        metrics.ready = ReadinessReport(ready: readiness.ready, reason: readiness.reason, routeMap: routeMap).status == 200
        metrics.routeMap = routeMap
        metrics.connectionsAccepted = counters.sum(.connectionsAccepted)
        metrics.connectionsOverLimit = counters.sum(.connectionsOverLimit)
        metrics.proxyProtocolRejections = counters.sum(.proxyProtocolRejections)
        metrics.requestsShed = counters.sum(.requestsShed)
        metrics.requestsShedMemory = counters.sum(.requestsShedMemory)
        metrics.memoryResidentBytes = MemoryGuard.residentBytes() ?? 0
        if let memory {
            metrics.memoryLimitBytes = memory.limitBytes == .max ? 0 : memory.limitBytes
            metrics.memoryOverloaded = memory.isOverloaded
        }
        metrics.activeConnections = activeConnections()
        metrics.requests = counters.sum(.requests)
        metrics.statusClasses = [.status1xx, .status2xx, .status3xx, .status4xx, .status5xx].map { counters.sum($0) }
        for outcome in RequestOutcome.allCases {
            metrics.outcomes[Int(outcome.rawValue)] = counters.sum(WorkerCounters.counter(for: outcome))
        }
        for histogram in latency {
            for (index, count) in histogram.bucketCounts().enumerated() { metrics.durationCounts[index] &+= count }
            metrics.durationSumMicroseconds &+= histogram.sumMicroseconds
        }
        metrics.upstreamConnects = counters.sum(.upstreamConnects)
        metrics.upstreamConnectErrors = counters.sum(.upstreamConnectErrors)
        metrics.upstreamTimeouts = counters.sum(.upstreamTimeouts)
        metrics.upstreamRetries = counters.sum(.upstreamRetries)
        metrics.tlsHandshakes = counters.sum(.tlsHandshakes)
        metrics.tlsHandshakeFailures = counters.sum(.tlsHandshakeFailures)
        metrics.bytesIn = counters.sum(.bytesIn)
        metrics.bytesOut = counters.sum(.bytesOut)
        metrics.accessLogLinesDropped = counters.sum(.accessLogLinesDropped)
        return metrics
    }
}
