import Testing
@testable import TenantEdgeCore

@Suite struct AccessLogLineTests {
    private func render(host: String = "shop.example", storeID: String = "s-1", requestID: String = "req-9",
                        client: ClientAddress? = ClientAddress(ipv4: 0xCB00_7107, port: 5000),
                        upstreamMicroseconds: Int64 = 12_345) -> String {
        let host = Array(host.utf8)
        let store = Array(storeID.utf8)
        let request = Array(requestID.utf8)
        var out: [UInt8] = []
        host.withUnsafeBytes { host in
            store.withUnsafeBytes { store in
                request.withUnsafeBytes { request in
                    AccessLogLine(unixMilliseconds: 1_735_787_045_678, client: client, host: host, storeID: store,
                                  outcome: .forwarded, status: 200, bytesIn: 321, bytesOut: 4096,
                                  upstreamMicroseconds: upstreamMicroseconds, totalMicroseconds: 13_002,
                                  requestID: request, worker: 3).append(to: &out)
                }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    @Test func oneJSONObjectPerLine() {
        #expect(render() == """
            {"time":"2025-01-02T03:04:05.678Z","client":"203.0.113.7","protocol":"HTTP/1.1","host":"shop.example","store_id":"s-1",\
            "decision":"forwarded","status":200,"bytes_in":321,"bytes_out":4096,"upstream_ms":12.345,\
            "total_ms":13.002,"request_id":"req-9","worker":3}

            """)
    }

    @Test func protocolVersions() {
        var out: [UInt8] = []
        for version in [AccessLogLine.Version.http10, .http2] {
            let empty = UnsafeRawBufferPointer(start: nil, count: 0)
            AccessLogLine(unixMilliseconds: 0, client: nil, version: version, host: empty, storeID: empty,
                          outcome: .notFound, status: 404, bytesIn: 0, bytesOut: 0, upstreamMicroseconds: -1,
                          totalMicroseconds: 0, requestID: empty, worker: 0).append(to: &out)
        }
        let lines = String(decoding: out, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].contains("\"protocol\":\"HTTP/1.0\""))
        #expect(lines[1].contains("\"protocol\":\"HTTP/2.0\""))
    }

    @Test func absentValuesAreNull() {
        let line = render(host: "", storeID: "", requestID: "", client: nil, upstreamMicroseconds: -1)
        #expect(line.contains("\"client\":null,\"protocol\":\"HTTP/1.1\",\"host\":null,\"store_id\":null,"))
        #expect(line.contains("\"upstream_ms\":null,"))
        #expect(line.contains("\"request_id\":null,"))
    }

    @Test func hostileBytesCannotBreakTheLine() {
        let line = render(requestID: "a\"b\\c\nd\u{1}\u{e9}")
        #expect(line.contains(#""request_id":"a\"b\\c\nd\u0001\u00c3\u00a9""#))
        #expect(line.filter { $0 == "\n" }.count == 1)
    }

    @Test func ipv6Clients() {
        let client = ClientAddress(family: .ipv6, high: 0x2001_0DB8_0000_0000, low: 1, port: 443)
        #expect(render(client: client).contains("\"client\":\"2001:db8::1\""))
    }

    @Test func jsonNumbers() {
        func text(_ body: (inout [UInt8]) -> Void) -> String {
            var out: [UInt8] = []
            body(&out)
            return String(decoding: out, as: UTF8.self)
        }
        #expect(text { (out: inout [UInt8]) in JSONOutput.appendUInt(0, to: &out) } == "0")
        #expect(text { (out: inout [UInt8]) in JSONOutput.appendUInt(UInt64.max, to: &out) } == "18446744073709551615")
        #expect(text { (out: inout [UInt8]) in JSONOutput.appendInt(Int64.min, to: &out) } == "-9223372036854775808")
        #expect(text { (out: inout [UInt8]) in JSONOutput.appendInt(-42, to: &out) } == "-42")
        #expect(text { (out: inout [UInt8]) in JSONOutput.appendMilliseconds(microseconds: 5, to: &out) } == "0.005")
        #expect(text { (out: inout [UInt8]) in JSONOutput.appendMilliseconds(microseconds: 1_000_000, to: &out) } == "1000.000")
        #expect(text { (out: inout [UInt8]) in JSONOutput.appendString("tab\tné", to: &out) } == "\"tab\\tné\"")
    }

    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (951_782_400_000, "2000-02-29T00:00:00.000Z"),
        (1_709_251_199_999, "2024-02-29T23:59:59.999Z"),
        (4_102_444_800_001, "2100-01-01T00:00:00.001Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
    ])
    func rfc3339(milliseconds: Int64, expected: String) {
        #expect(RFC3339Time.string(unixMilliseconds: milliseconds) == expected)
    }

    @Test func samplingRates() {
        var all = AccessLogSampler(rate: 1, seed: 1)
        var none = AccessLogSampler(rate: 0, seed: 1)
        var quarter = AccessLogSampler(rate: 0.25, seed: 12345)
        var logged = (all: 0, none: 0, quarter: 0)
        for _ in 0..<100_000 {
            if all.shouldLog() { logged.all += 1 }
            if none.shouldLog() { logged.none += 1 }
            if quarter.shouldLog() { logged.quarter += 1 }
        }
        #expect(logged.all == 100_000)
        #expect(logged.none == 0)
        #expect((24_000...26_000).contains(logged.quarter), "\(logged.quarter)")
        var zeroSeed = AccessLogSampler(rate: 0.5, seed: 0)
        var anyLogged = false
        for _ in 0..<1000 where zeroSeed.shouldLog() { anyLogged = true }
        #expect(anyLogged)
    }
}
