import Testing
@testable import TenantEdgeCore

@Suite struct HTTPResponseParserTests {
    struct FramingCase: Sendable, CustomTestStringConvertible {
        var response: String
        var method: HTTPMethod = .get
        var framing: BodyFraming
        var keepAlive: Bool
        var testDescription: String { response.split(separator: "\r\n").joined(separator: " | ") }
    }

    @Test(arguments: [
        FramingCase(response: "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", framing: .contentLength(12), keepAlive: true),
        FramingCase(response: "HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\n", framing: .contentLength(3), keepAlive: true),
        FramingCase(response: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", framing: .chunked, keepAlive: true),
        FramingCase(response: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", framing: .chunked, keepAlive: true),
        FramingCase(response: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", framing: .untilClose, keepAlive: false),
        FramingCase(response: "HTTP/1.1 200 OK\r\n\r\n", framing: .untilClose, keepAlive: false),
        FramingCase(response: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", method: .head, framing: .none, keepAlive: true),
        FramingCase(response: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", method: .head, framing: .none, keepAlive: true),
        FramingCase(response: "HTTP/1.1 204 No Content\r\n\r\n", framing: .none, keepAlive: true),
        FramingCase(response: "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", framing: .none, keepAlive: true),
        FramingCase(response: "HTTP/1.1 100 Continue\r\n\r\n", framing: .none, keepAlive: true),
        FramingCase(response: "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n", framing: .none, keepAlive: true),
        FramingCase(response: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", framing: .contentLength(0), keepAlive: false),
        FramingCase(response: "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n", framing: .contentLength(2), keepAlive: false),
        FramingCase(response: "HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n", framing: .contentLength(2), keepAlive: true),
        FramingCase(response: "HTTP/1.1 200\r\nContent-Length: 2\r\n\r\n", framing: .contentLength(2), keepAlive: true),
        FramingCase(response: "HTTP/1.1 404 \r\nContent-Length: 2\r\n\r\n", framing: .contentLength(2), keepAlive: true),
    ])
    func framing(c: FramingCase) {
        let r = parseResponse(c.response, method: c.method)
        #expect(r.result == .complete)
        #expect(r.head.framing == c.framing)
        #expect(r.head.keepAlive == c.keepAlive)
        #expect(r.head.headLength == r.bytes.count)
        #expect(!r.head.isUpgrade)
    }

    @Test func statusLine() {
        let r = parseResponse("HTTP/1.0 503 Service Unavailable\r\nRetry-After: 30\r\n\r\n")
        #expect(r.head.status == 503)
        #expect(r.head.versionMinor == 0)
        #expect(r.bytes.text(r.head.statusLineRange) == "HTTP/1.0 503 Service Unavailable")
        #expect(r.parser.fields.count == 1)
    }

    @Test func switchingProtocolsIsAnUpgrade() {
        let r = parseResponse("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
        #expect(r.result == .complete)
        #expect(r.head.isUpgrade)
        #expect(r.head.framing == .none)
        #expect(!r.head.keepAlive)
    }

    @Test(arguments: [
        ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", HTTPParseError.invalidResponseFraming),
        ("HTTP/1.1 204 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", .invalidResponseFraming),
        ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", .invalidResponseFraming),
        ("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", .invalidResponseFraming),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", .invalidResponseFraming),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", .invalidResponseFraming),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: \r\n\r\n", .invalidResponseFraming),
        ("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", .invalidResponseFraming),
        ("HTTP/2.0 200 OK\r\n\r\n", .unsupportedResponseVersion),
        ("HTTP/1.2 200 OK\r\n\r\n", .unsupportedResponseVersion),
        ("HTTP/1.1 20 OK\r\n\r\n", .invalidStatusLine),
        ("HTTP/1.1 600 X\r\n\r\n", .invalidStatusLine),
        ("HTTP/1.1 099 X\r\n\r\n", .invalidStatusLine),
        ("HTTP/1.1  200 OK\r\n\r\n", .invalidStatusLine),
        ("HTTP/1.1 200OK\r\n\r\n", .invalidStatusLine),
        ("HTTP/1.1 200 O\u{1}K\r\n\r\n", .invalidStatusLine),
        ("http/1.1 200 OK\r\n\r\n", .invalidStatusLine),
        ("HTTP/1.1 200 OK\nContent-Length: 0\n\n", .invalidResponseHead),
        ("HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n", .invalidResponseHead),
        ("HTTP/1.1 200 OK\r\nX: 1\r\n folded\r\n\r\n", .invalidResponseHead),
        ("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", .invalidResponseHead),
    ])
    func rejection(response: String, error: HTTPParseError) {
        let r = parseResponse(response)
        #expect(r.result == .error(error))
        #expect(error.status == 502)
    }

    @Test func limits() {
        let limits = HTTPLimits(maxHeadBytes: 40, maxRequestLineBytes: 40, maxFields: 1)
        #expect(parseResponse("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n", limits: limits).result == .error(.responseHeadTooLarge))
        #expect(parseResponse("HTTP/1.1 200 OK\r\nA: " + String(repeating: "a", count: 40), limits: limits).result
            == .error(.responseHeadTooLarge))
    }

    @Test func incrementalFeeding() {
        let bytes = [UInt8](ascii: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\r\n\r\nhi")
        var parser = HTTPResponseParser()
        for end in 1...bytes.count {
            let prefix = Array(bytes[..<end])
            let result = withBytes(prefix) { parser.parse($0, requestMethod: .get) }
            if end < bytes.count - 2 {
                #expect(result == .incomplete, "prefix \(end)")
            } else if end == bytes.count - 2 {
                #expect(result == .complete)
                #expect(parser.head.headLength == end)
                #expect(parser.head.framing == .contentLength(2))
                #expect(parser.fields.count == 2)
                break
            }
        }
    }

    @Test func interimThenFinalResponse() {
        let bytes = [UInt8](ascii: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
        var parser = HTTPResponseParser()
        withBytes(bytes) { buffer in
            #expect(parser.parse(buffer, requestMethod: .post) == .complete)
            #expect(parser.head.status == 100)
            let rest = UnsafeRawBufferPointer(rebasing: buffer[parser.head.headLength...])
            #expect(parser.parse(rest, requestMethod: .post) == .complete)
            #expect(parser.head.status == 201)
            #expect(parser.head.framing == .contentLength(0))
        }
    }
}
