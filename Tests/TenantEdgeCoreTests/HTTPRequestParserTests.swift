import Testing
@testable import TenantEdgeCore

@Suite struct HTTPRequestParserTests {
    @Test func originForm() {
        let r = parseRequest("GET /a/b?c=d HTTP/1.1\r\nHost: Shop.Example:8080\r\nAccept:  */* \t\r\n\r\n")
        #expect(r.result == .complete)
        #expect(r.head.method == .get)
        #expect(r.text(r.head.methodRange) == "GET")
        #expect(r.text(r.head.targetRange) == "/a/b?c=d")
        #expect(r.text(r.head.originFormRange) == "/a/b?c=d")
        #expect(r.head.versionMinor == 1)
        #expect(!r.head.isAbsoluteForm)
        #expect(r.head.authorityRange == nil)
        #expect(r.text(r.head.hostRange) == "Shop.Example:8080")
        #expect(r.text(r.head.routingHostRange) == "Shop.Example:8080")
        #expect(r.head.framing == .none)
        #expect(r.head.keepAlive)
        #expect(!r.head.expectContinue)
        #expect(!r.head.upgrade)
        #expect(r.head.headLength == r.bytes.count)
        #expect(r.parser.fields.count == 2)
        #expect(r.value("accept") == "*/*")
        let accept = r.parser.fields[1]
        #expect(r.text(accept.lineRange) == "Accept:  */* \t\r\n")
        #expect(r.text(accept.nameRange) == "Accept")
        #expect(r.parser.fields[0].name == .host)
    }

    @Test(arguments: [
        ("GET http://Shop.Example:8080/a?b HTTP/1.1\r\nHost: other.example\r\n\r\n", "Shop.Example:8080", "/a?b"),
        ("GET http://shop.example HTTP/1.1\r\nHost: shop.example\r\n\r\n", "shop.example", "/"),
        ("GET HTTPS://[::1]:443/ HTTP/1.1\r\nHost: x\r\n\r\n", "[::1]:443", "/"),
        ("GET http://shop.example HTTP/1.0\r\n\r\n", "shop.example", "/"),
    ])
    func absoluteFormRoutesByAuthority(request: String, authority: String, origin: String) {
        let r = parseRequest(request)
        #expect(r.result == .complete)
        #expect(r.head.isAbsoluteForm)
        #expect(r.text(r.head.authorityRange) == authority)
        #expect(r.text(r.head.routingHostRange) == authority)
        #expect(r.text(r.head.originFormRange) == origin)
    }

    @Test func asteriskFormForOptions() {
        let r = parseRequest("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(r.result == .complete)
        #expect(r.head.method == .options)
        #expect(r.text(r.head.originFormRange) == "*")
    }

    @Test(arguments: [
        ("GET / HTTP/1.0\r\n\r\n", false),
        ("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true),
        ("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\nHost: a\r\n\r\n", true),
        ("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false),
        ("GET / HTTP/1.1\r\nHost: a\r\n\r\n", true),
        ("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false),
        ("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo\r\nConnection: CLOSE\r\n\r\n", false),
        ("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n", true),
    ])
    func keepAlive(request: String, keepAlive: Bool) {
        let r = parseRequest(request)
        #expect(r.result == .complete)
        #expect(r.head.keepAlive == keepAlive)
    }

    @Test func http10WithoutHostRoutesByEmptyRange() {
        let r = parseRequest("GET / HTTP/1.0\r\n\r\n")
        #expect(r.result == .complete)
        #expect(r.head.versionMinor == 0)
        #expect(r.head.hostRange == nil)
        #expect(r.head.routingHostRange.isEmpty)
    }

    @Test(arguments: [
        ("Content-Length: 5", BodyFraming.contentLength(5)),
        ("Content-Length: 0", .contentLength(0)),
        ("Content-Length: 5, 5", .contentLength(5)),
        ("Content-Length: 5\r\nContent-Length: 5", .contentLength(5)),
        ("Content-Length: 007", .contentLength(7)),
        ("Transfer-Encoding: chunked", .chunked),
        ("Transfer-Encoding: CHUNKED", .chunked),
        ("Transfer-Encoding: ,chunked", .chunked),
        ("X-Other: 1", .none),
    ])
    func framing(field: String, framing: BodyFraming) {
        let r = parseRequest("POST /x HTTP/1.1\r\nHost: a\r\n\(field)\r\n\r\n")
        #expect(r.result == .complete)
        #expect(r.head.framing == framing)
    }

    @Test func expectContinueAndUpgrade() {
        let r = parseRequest(
            "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\nExpect: 100-Continue\r\n\r\n")
        #expect(r.result == .complete)
        #expect(r.head.upgrade)
        #expect(r.head.expectContinue)
        let noToken = parseRequest("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n")
        #expect(!noToken.head.upgrade)
    }

    @Test func emptyLinesBeforeRequestLineAreIgnored() {
        let r = parseRequest("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(r.result == .complete)
        #expect(r.text(r.head.methodRange) == "GET")
        #expect(r.head.headLength == r.bytes.count)
    }

    @Test func obsTextInValuesIsAllowed() {
        let r = parseRequest([UInt8](ascii: "GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf") + [0xC3, 0xA9] + [UInt8](ascii: "\r\n\r\n"))
        #expect(r.result == .complete)
        #expect(r.parser.fields[1].valueEnd - r.parser.fields[1].valueStart == 5)
    }

    @Test func pipelinedSecondRequestParsesAfterFirst() {
        let first = "POST /one HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"
        let bytes = [UInt8](ascii: first + "hello" + "GET /two HTTP/1.1\r\nHost: b\r\n\r\n")
        var parser = HTTPRequestParser()
        withBytes(bytes) { buffer in
            #expect(parser.parse(buffer) == .complete)
            #expect(parser.head.headLength == first.utf8.count)
            #expect(parser.head.framing == .contentLength(5))
            let next = parser.head.headLength + 5
            let rest = UnsafeRawBufferPointer(rebasing: buffer[next...])
            #expect(parser.parse(rest) == .complete)
            #expect(bytes.text(parser.head.targetRange.shifted(by: next)) == "/two")
            #expect(bytes.text(parser.head.hostRange!.shifted(by: next)) == "b")
            #expect(parser.fields.count == 1)
        }
    }

    /// Every prefix is incomplete, whether fed fresh or grown on one parser (the resume path),
    /// and the final result equals a one-shot parse.
    @Test(arguments: [
        "GET /a HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nConnection: close\r\n\r\n",
        "\r\nPOST http://h/p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
    ])
    func incrementalFeeding(request: String) {
        let bytes = [UInt8](ascii: request)
        let oneShot = parseRequest(bytes)
        var grown = HTTPRequestParser()
        for end in 1...bytes.count {
            let prefix = Array(bytes[..<end])
            let fresh = parseRequest(prefix).result
            let resumed = withBytes(prefix) { grown.parse($0) }
            let expected: HeadParseResult = end == bytes.count ? .complete : .incomplete
            #expect(fresh == expected, "prefix \(end)")
            #expect(resumed == expected, "prefix \(end)")
        }
        #expect(grown.head == oneShot.head)
        #expect(grown.fields == oneShot.parser.fields)
    }

    @Test func fieldsKeepTheirCapacityAcrossRequests() {
        var parser = HTTPRequestParser()
        let many = "GET / HTTP/1.1\r\nHost: a\r\n" + String(repeating: "X-A: 1\r\n", count: 80) + "\r\n"
        let few = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
        #expect(withBytes([UInt8](ascii: many)) { parser.parse($0) } == .complete)
        let capacity = parser.fields.capacity
        #expect(withBytes([UInt8](ascii: few)) { parser.parse($0) } == .complete)
        #expect(parser.fields.count == 1)
        #expect(parser.fields.capacity == capacity)
    }

    @Test func connectionNominatedFields() {
        let r = parseRequest(
            "GET / HTTP/1.1\r\nHost: a\r\nConnection: close, X-Foo, keep-alive, Content-Length, x_store_id, Host\r\n"
                + "X-Foo: 1\r\nx-FOO: 2\r\nKeep-Alive: t\r\nContent-Length: 0\r\nX-Bar: 3\r\nX-Store-Id: s\r\nX-Fo: 4\r\n\r\n")
        #expect(r.result == .complete)
        let nominated = withBytes(r.bytes) { buffer in
            r.parser.fields.indices.map { r.parser.isNominatedByConnection($0, in: buffer) }
        }
        // Host, Connection, X-Foo, x-FOO, Keep-Alive, Content-Length, X-Bar, X-Store-Id, X-Fo
        #expect(nominated == [false, false, true, true, true, false, false, true, false])
        #expect(!r.head.keepAlive)
    }

    @Test func closeAloneNominatesNothing() {
        let r = parseRequest("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\nClose: 1\r\n\r\n")
        #expect(r.head.connectionTokensMask == 0)
        #expect(withBytes(r.bytes) { !r.parser.isNominatedByConnection(2, in: $0) })
    }

    @Test func characterClassMasksMatchTheGrammar() {
        let tchar = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        let hex = Set("0123456789abcdefABCDEF".utf8)
        let host = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.".utf8)
        for byte in UInt8.min...UInt8.max {
            #expect(ByteClass.isTchar(byte) == tchar.contains(byte), "tchar \(byte)")
            #expect(ByteClass.isTargetChar(byte) == (byte >= 0x21 && byte <= 0x7E && byte != 0x23), "target \(byte)")
            #expect((ByteClass.hexValue(byte) != nil) == hex.contains(byte), "hex \(byte)")
            #expect(ByteClass.isHostChar(byte) == host.contains(byte), "host \(byte)")
        }
    }

    @Test func lineFeedSearchFindsEveryPosition() {
        for length in 0..<40 {
            for position in 0..<max(length, 1) {
                var bytes = [UInt8](repeating: 0x61, count: length)
                if length > 0 { bytes[position] = 0x0A }
                for from in 0...length {
                    let found = withBytes(bytes) { ByteClass.firstLF($0, from: from) }
                    let expected = length > 0 && position >= from ? position : nil
                    #expect(found == expected)
                }
            }
        }
    }
}

extension Range where Bound == Int {
    func shifted(by offset: Int) -> Range<Int> { (lowerBound + offset)..<(upperBound + offset) }
}
