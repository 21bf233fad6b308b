import Testing
@testable import TenantEdgeCore

/// Inputs the fuzz targets (Fuzz/, `scripts/fuzz`) found breaking an invariant, kept so the
/// bug stays fixed without a fuzzer. Each names the target and the invariant.
@Suite struct FuzzRegressionTests {
    /// Feeds `bytes` to a fresh parser as growing prefixes of the given sizes, the way reads
    /// deliver them, and returns the first result that is not `.incomplete`.
    private func parseInPieces(_ bytes: [UInt8], steps: [Int], limits: HTTPLimits) -> HeadParseResult {
        var parser = HTTPRequestParser(limits: limits)
        var length = 0
        for step in steps + [bytes.count] {
            length = min(bytes.count, length + step)
            let result = bytes.withUnsafeBytes { parser.parse(UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
            if result != .incomplete || length == bytes.count { return result }
        }
        return .incomplete
    }

    /// fuzz-http1, "in pieces == at once": a request line longer than the limit and ended by a
    /// bare LF was 400 (bare LF) when read at once but 414 when the limit was crossed before
    /// the LF arrived. The limit now comes first either way.
    @Test func overlongRequestLineEndedByBareLFIs414HoweverItArrives() {
        let limits = HTTPLimits(maxHeadBytes: 300, maxRequestLineBytes: 80, maxFields: 6)
        let bytes = Array("GET /ws HTTP/1., Keep-Alive\r".utf8) + [UInt8](repeating: 0, count: 60)
            + Array("\nHost: a\r\n\r\n".utf8)
        let atOnce = parseRequest(bytes, limits: limits).result
        #expect(atOnce == .error(.requestLineTooLong))
        #expect(parseInPieces(bytes, steps: [40, 45], limits: limits) == atOnce)
        #expect(parseInPieces(bytes, steps: [40, 60], limits: limits) == atOnce)
    }

    /// The same ordering for the head limit: a bare LF past `maxHeadBytes` is 431, not 400.
    @Test func bareLFPastTheHeadLimitIs431HoweverItArrives() {
        let limits = HTTPLimits(maxHeadBytes: 64, maxRequestLineBytes: 64, maxFields: 6)
        let bytes = Array("GET / HTTP/1.1\r\nHost: a\r\nX: ".utf8) + [UInt8](repeating: 0x61, count: 60) + Array("\n\r\n".utf8)
        let atOnce = parseRequest(bytes, limits: limits).result
        #expect(atOnce == .error(.headTooLarge))
        #expect(parseInPieces(bytes, steps: [30, 40], limits: limits) == atOnce)
    }

    /// Within the limits a bare LF is still the 400 it always was.
    @Test func bareLFWithinTheLimitsIs400() {
        #expect(parseRequest("GET / HTTP/1.1\nHost: a\r\n\r\n").result == .error(.bareLF))
        #expect(parseRequest("GET / HTTP/1.1\r\nHost: a\n\r\n").result == .error(.bareLF))
    }
}
