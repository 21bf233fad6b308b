import Testing
@testable import TenantEdgeCore

/// Seeded mutations of valid messages: the parsers must never read out of bounds (debug builds
/// trap on that), and feeding the bytes in two pieces must give the same answer as one piece.
@Suite struct HTTP1MutationTests {
    /// A small deterministic generator, so a failure reproduces.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let interesting: [UInt8] = Array(" \t\r\n:;,\0\u{7F}/*?#@[]-_\"".utf8) + [0x80, 0xFF, 0x30, 0x61, 0x46]

    static func mutate(_ seed: [UInt8], _ rng: inout SplitMix) -> [UInt8] {
        var bytes = seed
        for _ in 0..<Int.random(in: 1...4, using: &rng) where !bytes.isEmpty {
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: bytes[at] = interesting.randomElement(using: &rng)!
            case 1: bytes.insert(interesting.randomElement(using: &rng)!, at: at)
            default: bytes.remove(at: at)
            }
        }
        return bytes
    }

    @Test func requestParser() {
        var rng = SplitMix(state: 1)
        let seed = [UInt8](ascii: "POST http://a.example:8080/p?q HTTP/1.1\r\nHost: a.example\r\nContent-Length: 5, 5\r\nConnection: close, X-A\r\nX-A: 1\r\n\r\n")
        for _ in 0..<3000 {
            let bytes = Self.mutate(seed, &rng)
            let whole = parseRequest(bytes)
            let split = Int.random(in: 0...bytes.count, using: &rng)
            var parser = HTTPRequestParser()
            var pieces = withBytes(Array(bytes[..<split])) { parser.parse($0) }
            if pieces == .incomplete { pieces = withBytes(bytes) { parser.parse($0) } }
            #expect(pieces == whole.result, "\(bytes)")
            if whole.result == .complete {
                withBytes(bytes) { buffer in
                    for index in whole.parser.fields.indices { _ = whole.parser.isNominatedByConnection(index, in: buffer) }
                }
            }
        }
    }

    @Test func responseParserAndWriter() {
        var rng = SplitMix(state: 2)
        let seed = [UInt8](ascii: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nConnection: X-B\r\nX-B: 1\r\nUpgrade: a\r\n\r\n")
        for _ in 0..<3000 {
            let bytes = Self.mutate(seed, &rng)
            var parser = HTTPResponseParser()
            let result = withBytes(bytes) { parser.parse($0, requestMethod: .get) }
            if result == .complete {
                var out: [UInt8] = []
                withBytes(bytes) { ResponseHeadWriter.write(parser, from: $0, closeClient: true, into: &out) }
                #expect(out.count <= bytes.count + 32)
            }
        }
    }

    @Test func chunkedScanner() {
        var rng = SplitMix(state: 3)
        let seed = [UInt8](ascii: "5;x=1\r\nhello\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nT: 1\r\n\r\n")
        for _ in 0..<3000 {
            let bytes = Self.mutate(seed, &rng)
            var whole = ChunkedScanner()
            let expected = withBytes(bytes) { whole.scan($0) }
            let split = Int.random(in: 0...bytes.count, using: &rng)
            var pieces = ChunkedScanner()
            let first = withBytes(Array(bytes[..<split])) { pieces.scan($0) }
            var combined = first
            if first == .needMore {
                combined = withBytes(Array(bytes[split...])) { pieces.scan($0) }
                if case .done(let consumed) = combined { combined = .done(consumed: consumed + split) }
            }
            #expect(combined == expected, "\(bytes) split \(split)")
        }
    }
}
