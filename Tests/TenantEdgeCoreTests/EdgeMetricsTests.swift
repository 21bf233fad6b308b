import Testing
@testable import TenantEdgeCore

@Suite struct EdgeMetricsTests {
    static func sample() -> EdgeMetrics {
        var metrics = EdgeMetrics()
        metrics.workers = 2
        metrics.ready = true
        metrics.requests = 10
        metrics.statusClasses = [0, 7, 1, 1, 1]
        metrics.outcomes[Int(RequestOutcome.forwarded.rawValue)] = 7
        metrics.outcomes[Int(RequestOutcome.notFound.rawValue)] = 3
        metrics.durationCounts[0] = 6
        metrics.durationCounts[13] = 1
        metrics.durationSumMicroseconds = 12_500_000
        metrics.activeConnections = [.init(protocolName: "http1", count: 4), .init(protocolName: "h2", count: 1)]
        metrics.tlsHandshakeFailures = 2
        metrics.bytesIn = 1234
        metrics.routeMap = RouteMapStatus(generation: 3, hosts: 100, stores: 40, ageSeconds: 1.5, lastSequence: 77,
                                          reconnects: 1, notifications: 9, servingFromSnapshot: false)
        return metrics
    }

    /// Every family the issue asks for, by name, with HELP and TYPE.
    @Test func everyRequiredFamilyIsPresent() {
        let text = Self.sample().render()
        let families: [(String, String)] = [
            ("requests_total", "counter"), ("requests_by_status_class_total", "counter"),
            ("requests_by_decision_total", "counter"), ("request_duration_seconds", "histogram"),
            ("upstream_connect_errors_total", "counter"), ("upstream_timeouts_total", "counter"),
            ("active_connections", "gauge"), ("tls_handshakes_total", "counter"),
            ("tls_handshake_failures_total", "counter"), ("route_map_hosts", "gauge"), ("route_map_stores", "gauge"),
            ("route_map_generation", "gauge"), ("route_map_age_seconds", "gauge"), ("route_map_last_sequence", "gauge"),
            ("master_db_reconnects_total", "counter"), ("master_db_notifications_total", "counter"),
            ("received_bytes_total", "counter"), ("sent_bytes_total", "counter"), ("ready", "gauge"),
            ("connections_rejected_total", "counter"), ("requests_shed_total", "counter"),
            ("memory_resident_bytes", "gauge"), ("memory_limit_bytes", "gauge"), ("memory_overloaded", "gauge"),
        ]
        for (name, kind) in families {
            #expect(text.contains("# HELP tenant_edge_\(name) "), "HELP for \(name)")
            #expect(text.contains("# TYPE tenant_edge_\(name) \(kind)\n"), "TYPE for \(name)")
        }
    }

    @Test func valuesAppearWithTheirLabels() {
        let text = Self.sample().render()
        for line in [
            "tenant_edge_requests_total 10",
            "tenant_edge_requests_by_status_class_total{class=\"2xx\"} 7",
            "tenant_edge_requests_by_status_class_total{class=\"5xx\"} 1",
            "tenant_edge_requests_by_decision_total{decision=\"forwarded\"} 7",
            "tenant_edge_requests_by_decision_total{decision=\"not_found\"} 3",
            "tenant_edge_requests_by_decision_total{decision=\"inactive\"} 0",
            "tenant_edge_request_duration_seconds_bucket{le=\"0.001\"} 6",
            "tenant_edge_request_duration_seconds_bucket{le=\"10\"} 6",
            "tenant_edge_request_duration_seconds_bucket{le=\"+Inf\"} 7",
            "tenant_edge_request_duration_seconds_sum 12.5",
            "tenant_edge_request_duration_seconds_count 7",
            "tenant_edge_active_connections{protocol=\"http1\"} 4",
            "tenant_edge_tls_handshake_failures_total 2",
            "tenant_edge_received_bytes_total 1234",
            "tenant_edge_requests_shed_total{reason=\"active_requests\"} 0",
            "tenant_edge_requests_shed_total{reason=\"memory\"} 0",
            "tenant_edge_memory_overloaded 0",
            "tenant_edge_route_map_generation 3",
            "tenant_edge_route_map_age_seconds 1.5",
            "tenant_edge_route_map_last_sequence 77",
            "tenant_edge_master_db_notifications_total 9",
            "tenant_edge_ready 1",
        ] {
            #expect(text.contains(line + "\n"), "missing: \(line)")
        }
    }

    /// Prometheus refuses a page where a family's samples are split or a family repeats.
    @Test func pageIsWellFormed() {
        let lines = Self.sample().render().split(separator: "\n")
        var seen: Set<String> = []
        var current = ""
        for line in lines {
            if line.hasPrefix("# TYPE ") {
                current = String(line.split(separator: " ")[2])
                #expect(seen.insert(current).inserted, "\(current) typed twice")
            } else if !line.hasPrefix("#") {
                #expect(line.hasPrefix(current), "\(line) outside its family \(current)")
                #expect(line.split(separator: " ").count == 2, "\(line)")
            }
        }
    }
}
