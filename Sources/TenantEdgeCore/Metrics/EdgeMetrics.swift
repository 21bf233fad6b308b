/// Everything `/metrics` shows, summed over the workers at scrape time, and its rendering.
///
/// The admin server fills it from the per-worker counters (which live with the workers) and
/// the route map status; keeping the values and the page here, free of I/O, lets a test pin
/// every metric name, label and HELP line.
public struct EdgeMetrics: Sendable, Equatable {
    /// Open client connections of one protocol (`http1`, `h2`, `websocket`).
    public struct ConnectionCount: Sendable, Equatable {
        public var protocolName: String
        public var count: Int

        public init(protocolName: String, count: Int) {
            self.protocolName = protocolName
            self.count = count
        }
    }

    public var workers = 0
    public var ready = false
    public var connectionsAccepted: UInt64 = 0
    /// Not accepted or closed at once because a connection limit was reached.
    public var connectionsOverLimit: UInt64 = 0
    /// Closed because a PROXY protocol header was missing or invalid.
    public var proxyProtocolRejections: UInt64 = 0
    /// HTTP/1.1 requests answered 503 because the worker had its limit of requests in progress.
    public var requestsShed: UInt64 = 0
    /// Requests answered 503 because the process was over `limits.max_memory_mib`.
    public var requestsShedMemory: UInt64 = 0
    /// Resident memory at scrape time, `limits.max_memory_mib` in bytes (0: none), and
    /// whether new requests are being shed for it.
    public var memoryResidentBytes = 0
    public var memoryLimitBytes = 0
    public var memoryOverloaded = false
    public var activeConnections: [ConnectionCount] = []
    public var requests: UInt64 = 0
    /// Responses by class: index 0 is 1xx ... index 4 is 5xx.
    public var statusClasses: [UInt64] = Array(repeating: 0, count: 5)
    /// Indexed by `RequestOutcome.rawValue`.
    public var outcomes: [UInt64] = Array(repeating: 0, count: RequestOutcome.allCases.count)
    /// Non-cumulative counts per `LatencyBuckets` bucket, `+Inf` last.
    public var durationCounts: [UInt64] = Array(repeating: 0, count: LatencyBuckets.count)
    public var durationSumMicroseconds: UInt64 = 0
    public var upstreamConnects: UInt64 = 0
    public var upstreamConnectErrors: UInt64 = 0
    public var upstreamTimeouts: UInt64 = 0
    public var upstreamRetries: UInt64 = 0
    public var tlsHandshakes: UInt64 = 0
    public var tlsHandshakeFailures: UInt64 = 0
    /// Bytes read from and written to clients.
    public var bytesIn: UInt64 = 0
    public var bytesOut: UInt64 = 0
    public var accessLogLinesDropped: UInt64 = 0
    public var routeMap = RouteMapStatus()

    public init() {}

    /// The Prometheus text page.
    public func render() -> String {
        var out = MetricsRenderer()
        out.gauge("workers", help: "Event-loop worker threads.", Double(workers))
        out.gauge("ready", help: "1 when /readyz answers 200 (route map loaded, not draining).", ready ? 1 : 0)

        out.counter("connections_accepted_total", help: "Client connections accepted.", connectionsAccepted)
        out.family("connections_rejected_total", .counter, help: "Client connections refused or closed before any request.")
        out.sample("connections_rejected_total", [("reason", "limit")], connectionsOverLimit)
        out.sample("connections_rejected_total", [("reason", "proxy_protocol")], proxyProtocolRejections)
        out.family("requests_shed_total", .counter,
                   help: "Requests answered 503 under overload: limits.max_active_requests_per_worker in progress, or over limits.max_memory_mib.")
        out.sample("requests_shed_total", [("reason", "active_requests")], requestsShed)
        out.sample("requests_shed_total", [("reason", "memory")], requestsShedMemory)
        out.gauge("memory_resident_bytes", help: "Resident memory of the process.", Double(memoryResidentBytes))
        out.gauge("memory_limit_bytes", help: "limits.max_memory_mib in bytes; 0 when there is none.", Double(memoryLimitBytes))
        out.gauge("memory_overloaded", help: "1 while new requests are shed for being over limits.max_memory_mib.",
                  memoryOverloaded ? 1 : 0)
        out.family("active_connections", .gauge, help: "Open client connections by protocol.")
        for entry in activeConnections {
            out.sample("active_connections", [("protocol", entry.protocolName)], Double(entry.count))
        }

        out.counter("requests_total", help: "Requests received.", requests)
        out.family("requests_by_status_class_total", .counter, help: "Responses sent, by status class.")
        for (index, count) in statusClasses.enumerated() {
            out.sample("requests_by_status_class_total", [("class", "\(index + 1)xx")], count)
        }
        out.family("requests_by_decision_total", .counter,
                   help: "Requests by what the proxy did with them (forwarded, not_found, inactive, ...).")
        for outcome in RequestOutcome.allCases {
            let count = Int(outcome.rawValue) < outcomes.count ? outcomes[Int(outcome.rawValue)] : 0
            out.sample("requests_by_decision_total", [("decision", outcome.name)], count)
        }
        out.family("request_duration_seconds", .histogram,
                   help: "Time from a complete request head to the last response byte written.")
        out.histogram("request_duration_seconds", upperBounds: LatencyBuckets.upperBoundsSeconds, counts: durationCounts,
                      sum: Double(durationSumMicroseconds) / 1_000_000)

        out.counter("upstream_connects_total", help: "TCP connections opened to backends.", upstreamConnects)
        out.counter("upstream_connect_errors_total", help: "Backend connections that failed to open.", upstreamConnectErrors)
        out.counter("upstream_timeouts_total", help: "Backend connect or response-head timeouts.", upstreamTimeouts)
        out.counter("upstream_retries_total", help: "Requests retried on another backend connection.", upstreamRetries)
        out.counter("tls_handshakes_total", help: "TLS handshakes completed.", tlsHandshakes)
        out.counter("tls_handshake_failures_total", help: "TLS handshakes that failed.", tlsHandshakeFailures)
        out.counter("received_bytes_total", help: "Bytes read from clients.", bytesIn)
        out.counter("sent_bytes_total", help: "Bytes written to clients.", bytesOut)
        out.counter("access_log_dropped_lines_total", help: "Access log lines lost because the log could not be written.",
                    accessLogLinesDropped)

        out.gauge("route_map_hosts", help: "Hostname rows in the published route map.", Double(routeMap.hosts))
        out.gauge("route_map_stores", help: "Stores in the published route map.", Double(routeMap.stores))
        out.gauge("route_map_generation", help: "Generation of the published route map (0 before the first).",
                  Double(routeMap.generation))
        out.gauge("route_map_age_seconds", help: "Seconds since the route map was last known to match the master database.",
                  routeMap.ageSeconds)
        out.gauge("route_map_last_sequence", help: "change_log sequence the route map reflects.", Double(routeMap.lastSequence))
        out.gauge("route_map_from_snapshot", help: "1 while serving the map from the snapshot file.",
                  routeMap.servingFromSnapshot ? 1 : 0)
        out.counter("master_db_reconnects_total", help: "Times the master database connection was re-established.",
                    routeMap.reconnects)
        out.counter("master_db_notifications_total", help: "Change notifications received from the master database.",
                    routeMap.notifications)
        return out.text
    }
}
