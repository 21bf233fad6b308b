import Testing
@testable import TenantEdgeCore

struct ChunkedDecodingTests {
    /// Decodes `wire` fed in pieces of `step` bytes, the way a relay sees a socket.
    private func decode(_ wire: String, step: Int) -> (payload: String, done: Bool, error: HTTPParseError?) {
        let bytes = Array(wire.utf8)
        var scanner = ChunkedScanner()
        var payload: [UInt8] = []
        var pending: [UInt8] = []
        var offset = 0
        var done = false
        while offset < bytes.count && !done {
            let end = min(bytes.count, offset + step)
            pending += bytes[offset..<end]
            offset = end
            while !pending.isEmpty && !done {
                let segment = pending.withUnsafeBytes { scanner.nextSegment($0) }
                switch segment {
                case .data(let n):
                    payload += pending[0..<n]
                    pending.removeFirst(n)
                case .framing(let n):
                    pending.removeFirst(n)
                case .done(let n):
                    pending.removeFirst(n)
                    done = true
                case .needMore:
                    break
                case .error(let error):
                    return (String(decoding: payload, as: UTF8.self), false, error)
                }
                if case .needMore = segment { break }
            }
        }
        return (String(decoding: payload, as: UTF8.self), done, nil)
    }

    @Test(arguments: [1, 2, 3, 7, 1000])
    func decodesPayloadWhateverTheSplits(step: Int) {
        let wire = "5\r\nhello\r\n1;ext=1\r\n \r\n10\r\n0123456789abcdef\r\n0\r\nX-Trailer: 1\r\n\r\n"
        let result = decode(wire, step: step)
        #expect(result.error == nil)
        #expect(result.done)
        #expect(result.payload == "hello 0123456789abcdef")
    }

    @Test func stopsExactlyAtTheEndOfTheBody() {
        var scanner = ChunkedScanner()
        let wire = Array("3\r\nabc\r\n0\r\n\r\nHTTP/1.1 200 OK".utf8)
        var offset = 0
        var payload: [UInt8] = []
        loop: while true {
            let segment = wire[offset...].withUnsafeBytes { scanner.nextSegment($0) }
            switch segment {
            case .data(let n): payload += wire[offset..<(offset + n)]; offset += n
            case .framing(let n): offset += n
            case .done(let n): offset += n; break loop
            default: Issue.record("unexpected \(segment)"); return
            }
        }
        #expect(String(decoding: payload, as: UTF8.self) == "abc")
        #expect(String(decoding: wire[offset...], as: UTF8.self) == "HTTP/1.1 200 OK")
    }

    @Test(arguments: ["x\r\n", "5\nhello\r\n", "3\r\nabcX\r\n"])
    func rejectsBrokenFraming(wire: String) {
        #expect(decode(wire + "0\r\n\r\n", step: 1).error != nil)
    }
}
