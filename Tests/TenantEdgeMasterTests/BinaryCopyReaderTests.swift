import Testing
@testable import TenantEdgeMaster

/// The binary COPY framing, byte by byte (the database test in RouteLoaderTests reads a real
/// server's stream).
struct BinaryCopyReaderTests {
    static func header(extensionBytes: [UInt8] = []) -> [UInt8] {
        BinaryCopyReader.signature + [0, 0, 0, 0] + be32(extensionBytes.count) + extensionBytes
    }

    static func be32(_ value: Int) -> [UInt8] {
        let v = UInt32(bitPattern: Int32(value))
        return [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
    }

    static func row(_ fields: [[UInt8]?]) -> [UInt8] {
        var out: [UInt8] = [UInt8(fields.count >> 8), UInt8(fields.count & 0xFF)]
        for field in fields {
            if let field { out += be32(field.count) + field } else { out += be32(-1) }
        }
        return out
    }

    static let trailer: [UInt8] = [0xFF, 0xFF]

    func read(_ reader: inout BinaryCopyReader, _ bytes: [UInt8]) throws(BinaryCopyReader.Problem) -> (BinaryCopyReader.Item, [[UInt8]?]) {
        var result: Result<(BinaryCopyReader.Item, [[UInt8]?]), BinaryCopyReader.Problem> = .failure(.truncated)
        bytes.withUnsafeBytes { message in
            do throws(BinaryCopyReader.Problem) {
                let item = try reader.read(message)
                result = .success((item, item == .row ? reader.fields.map { $0.map { Array(message[$0]) } } : []))
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    @Test func headerComesWithTheFirstRowThenRowsThenTrailer() throws {
        var reader = BinaryCopyReader(columns: 3)
        let first = try read(&reader, Self.header(extensionBytes: [1, 2, 3]) + Self.row([Array("a.example".utf8), nil, [1]]))
        #expect(first.0 == .row)
        #expect(first.1 == [Array("a.example".utf8), nil, [1]])
        // Values with tabs, newlines and backslashes come through untouched (no escaping).
        let second = try read(&reader, Self.row([Array("b\t\\\n".utf8), [], [0]]))
        #expect(second.0 == .row)
        #expect(second.1 == [Array("b\t\\\n".utf8), [], [0]])
        #expect(try read(&reader, Self.trailer).0 == .end)
    }

    @Test func anEmptyTableIsHeaderAndTrailerInOneMessage() throws {
        var reader = BinaryCopyReader(columns: 2)
        #expect(try read(&reader, Self.header() + Self.trailer).0 == .end)
    }

    @Test func malformedStreamsAreErrorsNotCrashes() {
        var reader = BinaryCopyReader(columns: 1)
        #expect(throws: BinaryCopyReader.Problem.badSignature) { try read(&reader, Array("PGCOPY\nxxxxxxxxxxxxxx".utf8)) }
        reader = BinaryCopyReader(columns: 1)
        #expect(throws: BinaryCopyReader.Problem.truncated) { try read(&reader, Self.header(extensionBytes: []) ) }
        reader = BinaryCopyReader(columns: 1)
        // A header whose extension length runs past the message.
        #expect(throws: BinaryCopyReader.Problem.truncated) {
            try read(&reader, BinaryCopyReader.signature + [0, 0, 0, 0] + Self.be32(1000))
        }
        reader = BinaryCopyReader(columns: 2)
        #expect(throws: BinaryCopyReader.Problem.fieldCount(expected: 2, got: 1)) {
            try read(&reader, Self.header() + Self.row([[1]]))
        }
        reader = BinaryCopyReader(columns: 1)
        // A field length beyond the message, and a negative length other than -1 reads as NULL.
        #expect(throws: BinaryCopyReader.Problem.truncated) {
            try read(&reader, Self.header() + [0, 1] + Self.be32(50) + [1, 2])
        }
        reader = BinaryCopyReader(columns: 1)
        #expect(throws: BinaryCopyReader.Problem.truncated) {
            try read(&reader, Self.header() + [0, 1] + Self.be32(Int(Int32.max)) + [1, 2])
        }
    }
}
