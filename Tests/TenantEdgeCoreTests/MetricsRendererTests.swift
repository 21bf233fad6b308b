import Testing
@testable import TenantEdgeCore

@Suite struct MetricsRendererTests {
    @Test func familiesHaveHelpAndTypeThenSamples() {
        var out = MetricsRenderer()
        out.counter("requests_total", help: "Requests received.", 42)
        out.family("active_connections", .gauge, help: "Open connections.")
        out.sample("active_connections", [("protocol", "http1")], UInt64(3))
        out.sample("active_connections", [("protocol", "h2")], 0.5)
        #expect(out.text == """
            # HELP tenant_edge_requests_total Requests received.
            # TYPE tenant_edge_requests_total counter
            tenant_edge_requests_total 42
            # HELP tenant_edge_active_connections Open connections.
            # TYPE tenant_edge_active_connections gauge
            tenant_edge_active_connections{protocol="http1"} 3
            tenant_edge_active_connections{protocol="h2"} 0.5

            """)
    }

    @Test func histogramBucketsAreCumulativeWithInfSumAndCount() {
        var out = MetricsRenderer(namespace: "x_")
        out.family("latency_seconds", .histogram, help: "Latency.")
        out.histogram("latency_seconds", [("route", "a")], upperBounds: [0.001, 0.5, 2], counts: [1, 2, 0, 4], sum: 9.25)
        #expect(out.text == """
            # HELP x_latency_seconds Latency.
            # TYPE x_latency_seconds histogram
            x_latency_seconds_bucket{route="a",le="0.001"} 1
            x_latency_seconds_bucket{route="a",le="0.5"} 3
            x_latency_seconds_bucket{route="a",le="2"} 3
            x_latency_seconds_bucket{route="a",le="+Inf"} 7
            x_latency_seconds_sum{route="a"} 9.25
            x_latency_seconds_count{route="a"} 7

            """)
    }

    @Test func escaping() {
        var out = MetricsRenderer()
        out.family("odd", .gauge, help: "Back\\slash and\nnewline.")
        out.sample("odd", [("label", "a\"b\\c\nd")], UInt64(1))
        #expect(out.text.contains("# HELP tenant_edge_odd Back\\\\slash and\\nnewline.\n"))
        #expect(out.text.contains("tenant_edge_odd{label=\"a\\\"b\\\\c\\nd\"} 1\n"))
    }

    @Test func valueFormats() {
        #expect(MetricsRenderer.format(3) == "3")
        #expect(MetricsRenderer.format(-2) == "-2")
        #expect(MetricsRenderer.format(0.25) == "0.25")
        #expect(MetricsRenderer.format(.infinity) == "+Inf")
        #expect(MetricsRenderer.format(-.infinity) == "-Inf")
        #expect(MetricsRenderer.format(.nan) == "NaN")
        var out = MetricsRenderer()
        out.counter("big_total", help: "Above 2^53.", UInt64.max)
        #expect(out.text.hasSuffix("tenant_edge_big_total 18446744073709551615\n"))
    }

    @Test func names() {
        #expect(MetricsRenderer.isValidName("tenant_edge_a:b_1"))
        #expect(!MetricsRenderer.isValidName("1abc"))
        #expect(!MetricsRenderer.isValidName("a-b"))
        #expect(!MetricsRenderer.isValidName(""))
    }

    @Test func latencyBuckets() {
        #expect(LatencyBuckets.upperBoundsMicroseconds.count + 1 == LatencyBuckets.count)
        #expect(LatencyBuckets.upperBoundsSeconds.first == 0.001)
        #expect(LatencyBuckets.upperBoundsSeconds.last == 10)
        // Each bound belongs to its own bucket (Prometheus `le`), one more goes to the next.
        for (index, bound) in LatencyBuckets.upperBoundsMicroseconds.enumerated() {
            #expect(LatencyBuckets.index(microseconds: bound) == index)
            #expect(LatencyBuckets.index(microseconds: bound + 1) == index + 1)
        }
        #expect(LatencyBuckets.index(microseconds: 0) == 0)
        #expect(LatencyBuckets.index(microseconds: -5) == 0)
        #expect(LatencyBuckets.index(microseconds: .max) == 13)
    }
}
