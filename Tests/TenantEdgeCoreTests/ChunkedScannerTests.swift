import Testing
@testable import TenantEdgeCore

@Suite struct ChunkedScannerTests {
    static let validBodies = [
        "0\r\n\r\n",
        "5\r\nhello\r\n0\r\n\r\n",
        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        "A\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n",
        "0005\r\nhello\r\n000\r\n\r\n",
        "5;name=value\r\nhello\r\n0;last\r\n\r\n",
        "5 ;name=\"quoted value\"\r\nhello\r\n0\r\n\r\n",
        "0\r\nX-Trailer: 1\r\nChecksum: abc\r\n\r\n",
        "1\r\n\r\r\n1\r\n\n\r\n0\r\n\r\n",  // CR and LF are just data inside a chunk
    ]

    /// Feeds `pieces` one after another; returns each result.
    static func feed(_ scanner: inout ChunkedScanner, _ pieces: [[UInt8]]) -> [ChunkedScanResult] {
        pieces.map { piece in withBytes(piece) { scanner.scan($0) } }
    }

    @Test(arguments: validBodies)
    func wholeBody(body: String) {
        var scanner = ChunkedScanner()
        let bytes = [UInt8](ascii: body)
        #expect(Self.feed(&scanner, [bytes]) == [.done(consumed: bytes.count)])
    }

    @Test(arguments: validBodies)
    func stopsAtTheEndOfTheBody(body: String) {
        var scanner = ChunkedScanner()
        let bytes = [UInt8](ascii: body + "GET / HTTP/1.1\r\n")
        #expect(Self.feed(&scanner, [bytes]) == [.done(consumed: body.utf8.count)])
    }

    @Test(arguments: validBodies)
    func everySplitPoint(body: String) {
        let bytes = [UInt8](ascii: body)
        for split in 1..<bytes.count {
            var scanner = ChunkedScanner()
            let results = Self.feed(&scanner, [Array(bytes[..<split]), Array(bytes[split...])])
            #expect(results == [.needMore, .done(consumed: bytes.count - split)], "split at \(split)")
        }
    }

    @Test(arguments: validBodies)
    func oneByteAtATime(body: String) {
        var scanner = ChunkedScanner()
        let results = Self.feed(&scanner, [UInt8](ascii: body).map { [$0] })
        #expect(results.dropLast().allSatisfy { $0 == .needMore })
        #expect(results.last == .done(consumed: 1))
    }

    @Test func emptyFeedNeedsMore() {
        var scanner = ChunkedScanner()
        #expect(Self.feed(&scanner, [[]]) == [.needMore])
    }

    @Test func reusableAfterDone() {
        var scanner = ChunkedScanner()
        let body = [UInt8](ascii: "3\r\nabc\r\n0\r\n\r\n")
        #expect(Self.feed(&scanner, [body, body]) == [.done(consumed: body.count), .done(consumed: body.count)])
    }

    @Test func largestChunkSizeIsAccepted() {
        var scanner = ChunkedScanner()
        #expect(Self.feed(&scanner, [[UInt8](ascii: "3fffffffffffffff\r\nabc")]) == [.needMore])
    }

    static let longExtension = "5;" + String(repeating: "e", count: 4096) + "\r\nhello\r\n0\r\n\r\n"
    static let longTrailer = "0\r\nX: " + String(repeating: "t", count: 8192) + "\r\n\r\n"

    @Test(arguments: [
        ("\r\n", HTTPParseError.invalidChunkSize),
        ("x\r\n", .invalidChunkSize),
        ("-5\r\nhello\r\n", .invalidChunkSize),
        ("0x5\r\nhello\r\n", .invalidChunkSize),
        (";ext\r\n", .invalidChunkSize),
        ("5x\r\nhello\r\n", .invalidChunkSize),
        (String(repeating: "0", count: 33) + "\r\n", .invalidChunkSize),
        ("4000000000000000\r\n", .chunkSizeOverflow),
        ("ffffffffffffffffff\r\n", .chunkSizeOverflow),
        ("5\nhello\r\n0\r\n\r\n", .invalidChunkFraming),
        ("5\r\nhelloX\r\n", .invalidChunkFraming),
        ("5\r\nhello\n0\r\n\r\n", .invalidChunkFraming),
        ("5\r\nhello\rX", .invalidChunkFraming),
        ("0\r\n\n", .invalidChunkFraming),
        ("0\r\n\rX", .invalidChunkFraming),
        ("5;a\u{1}b\r\nhello\r\n", .invalidChunkExtension),
        ("5;a\nhello\r\n", .invalidChunkExtension),
        (longExtension, .chunkExtensionTooLong),
        ("0\r\n X: 1\r\n\r\n", .invalidTrailer),
        ("0\r\nX: 1\n\r\n", .invalidTrailer),
        ("0\r\nX: \u{0}\r\n\r\n", .invalidTrailer),
        (longTrailer, .trailerTooLarge),
    ])
    func rejection(body: String, error: HTTPParseError) {
        var whole = ChunkedScanner()
        #expect(Self.feed(&whole, [[UInt8](ascii: body)]) == [.error(error)])
        // The same error however the bytes are split, and it stays.
        var dripped = ChunkedScanner()
        let results = Self.feed(&dripped, [UInt8](ascii: body).map { [$0] })
        #expect(results.first { $0 != .needMore } == .error(error))
        #expect(Self.feed(&dripped, [[0x30]]) == [.error(error)])
    }

    @Test func customLimits() {
        var scanner = ChunkedScanner(maxChunkExtLength: 3, maxTrailerBytes: 4)
        #expect(Self.feed(&scanner, [[UInt8](ascii: "1;abc\r\n")]) == [.error(.chunkExtensionTooLong)])
        var trailers = ChunkedScanner(maxChunkExtLength: 3, maxTrailerBytes: 4)
        #expect(Self.feed(&trailers, [[UInt8](ascii: "0\r\nA: 12\r\n\r\n")]) == [.error(.trailerTooLarge)])
        var fits = ChunkedScanner(maxChunkExtLength: 3, maxTrailerBytes: 4)
        #expect(Self.feed(&fits, [[UInt8](ascii: "1;ab\r\nx\r\n0\r\nA:1\r\n\r\n")]) == [.done(consumed: 19)])
    }
}
