import Testing
@testable import TenantEdgeCore

/// Every rejection of the contract, with the status it must produce.
@Suite struct HTTPRequestParserRejectionTests {
    static let host = "Host: shop.example\r\n"

    @Test(arguments: [
        // Host
        ("GET / HTTP/1.1\r\n\r\n", HTTPParseError.missingHost),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", .multipleHosts),
        ("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", .multipleHosts),
        ("GET / HTTP/1.1\r\nHost: \r\n\r\n", .invalidHost),
        ("GET / HTTP/1.1\r\nHost: exa mple.com\r\n\r\n", .invalidHost),
        ("GET / HTTP/1.1\r\nHost: user@shop.example\r\n\r\n", .invalidHost),
        ("GET / HTTP/1.1\r\nHost: shop.example/x\r\n\r\n", .invalidHost),
        ("GET / HTTP/1.1\r\nHost: shop.example:\r\n\r\n", .invalidHost),
        ("GET / HTTP/1.1\r\nHost: shop.example:99999\r\n\r\n", .invalidHost),
        ("GET / HTTP/1.1\r\nHost: shop.example:80a\r\n\r\n", .invalidHost),
        ("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", .invalidHost),
        ("GET / HTTP/1.1\r\nHost: [zz]\r\n\r\n", .invalidHost),
        ("GET / HTTP/1.1\r\nHost: shop\\example\r\n\r\n", .invalidHost),
        ("GET http://u@h/ HTTP/1.1\r\nHost: h\r\n\r\n", .invalidHost),
        ("GET http:/// HTTP/1.1\r\nHost: h\r\n\r\n", .invalidHost),
        // Content-Length / Transfer-Encoding
        ("POST / HTTP/1.1\r\n\(host)Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", .contentLengthWithTransferEncoding),
        ("POST / HTTP/1.1\r\n\(host)Content-Length: 5, 6\r\n\r\n", .invalidContentLength),
        ("POST / HTTP/1.1\r\n\(host)Content-Length: 5\r\nContent-Length: 6\r\n\r\n", .invalidContentLength),
        ("POST / HTTP/1.1\r\n\(host)Content-Length: abc\r\n\r\n", .invalidContentLength),
        ("POST / HTTP/1.1\r\n\(host)Content-Length: -1\r\n\r\n", .invalidContentLength),
        ("POST / HTTP/1.1\r\n\(host)Content-Length: +5\r\n\r\n", .invalidContentLength),
        ("POST / HTTP/1.1\r\n\(host)Content-Length: 5 5\r\n\r\n", .invalidContentLength),
        ("POST / HTTP/1.1\r\n\(host)Content-Length: 5,\r\n\r\n", .invalidContentLength),
        ("POST / HTTP/1.1\r\n\(host)Content-Length: \r\n\r\n", .invalidContentLength),
        ("POST / HTTP/1.1\r\n\(host)Content-Length: 99999999999999999999\r\n\r\n", .invalidContentLength),
        ("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: gzip\r\n\r\n", .chunkedNotFinal),
        ("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked, gzip\r\n\r\n", .chunkedNotFinal),
        ("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", .chunkedNotFinal),
        ("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: foo\r\n\r\n", .unsupportedTransferCoding),
        ("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: gzip, chunked\r\n\r\n", .unsupportedTransferCoding),
        ("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked;x=1\r\n\r\n", .invalidTransferEncoding),
        ("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chun ked\r\n\r\n", .invalidTransferEncoding),
        ("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: \r\n\r\n", .invalidTransferEncoding),
        ("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: \"chunked\"\r\n\r\n", .invalidTransferEncoding),
        ("POST / HTTP/1.0\r\n\(host)Transfer-Encoding: chunked\r\n\r\n", .transferEncodingInHTTP10),
        // Field lines
        ("GET / HTTP/1.1\r\n\(host)X-A: 1\r\n 2\r\n\r\n", .obsFold),
        ("GET / HTTP/1.1\r\n\tX-A: 1\r\n\(host)\r\n", .obsFold),
        ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", .whitespaceBeforeColon),
        ("GET / HTTP/1.1\r\n\(host)Transfer-Encoding\t: chunked\r\n\r\n", .whitespaceBeforeColon),
        ("GET / HTTP/1.1\r\n\(host)X(A): 1\r\n\r\n", .invalidFieldName),
        ("GET / HTTP/1.1\r\n\(host): 1\r\n\r\n", .invalidFieldName),
        ("GET / HTTP/1.1\r\n\(host)NoColon\r\n\r\n", .invalidFieldName),
        ("GET / HTTP/1.1\r\n\(host)X-A: 1\u{0}2\r\n\r\n", .invalidFieldValue),
        ("GET / HTTP/1.1\r\n\(host)X-A: 1\u{1}\r\n\r\n", .invalidFieldValue),
        ("GET / HTTP/1.1\r\n\(host)X-A: 1\u{7F}\r\n\r\n", .invalidFieldValue),
        ("GET / HTTP/1.1\r\n\(host)X-A: 1\r2\r\n\r\n", .bareCR),
        ("GET / HTTP/1.1\r\n\(host)X-A\r: 1\r\n\r\n", .bareCR),
        ("GET /\r HTTP/1.1\r\n\(host)\r\n", .bareCR),
        ("GET / HTTP/1.1\nHost: a\n\n", .bareLF),
        ("GET / HTTP/1.1\r\nHost: a\n\r\n", .bareLF),
        ("GET / HTTP/1.1\r\nHost: a\r\n\n", .bareLF),
        ("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", .bareLF),
        // Request line
        ("GET / HTTP/2.0\r\n\(host)\r\n", .unsupportedVersion),
        ("GET / HTTP/1.2\r\n\(host)\r\n", .unsupportedVersion),
        ("GET / HTTP/0.9\r\n\(host)\r\n", .unsupportedVersion),
        ("GET / HTTP/1\r\n\(host)\r\n", .invalidVersion),
        ("GET / http/1.1\r\n\(host)\r\n", .invalidVersion),
        ("GET / HTTP/1.1 \r\n\(host)\r\n", .invalidVersion),
        ("GET / HTTP/11.1\r\n\(host)\r\n", .invalidVersion),
        ("GET /\r\n\(host)\r\n", .invalidTarget),
        ("G(T / HTTP/1.1\r\n\(host)\r\n", .invalidMethod),
        (" GET / HTTP/1.1\r\n\(host)\r\n", .invalidMethod),
        ("GET\t/ HTTP/1.1\r\n\(host)\r\n", .invalidMethod),
        ("GET  / HTTP/1.1\r\n\(host)\r\n", .invalidTarget),
        ("GET /a#b HTTP/1.1\r\n\(host)\r\n", .invalidTarget),
        ("GET /a\u{7F} HTTP/1.1\r\n\(host)\r\n", .invalidTarget),
        ("GET /caf\u{E9} HTTP/1.1\r\n\(host)\r\n", .invalidTarget),
        ("GET * HTTP/1.1\r\n\(host)\r\n", .invalidTarget),
        ("OPTIONS *x HTTP/1.1\r\n\(host)\r\n", .invalidTarget),
        ("GET shop.example:80 HTTP/1.1\r\n\(host)\r\n", .invalidTarget),
        ("GET ftp://shop.example/ HTTP/1.1\r\n\(host)\r\n", .invalidTarget),
        ("GET http:shop.example HTTP/1.1\r\n\(host)\r\n", .invalidTarget),
        ("GET http://shop.example?q HTTP/1.1\r\n\(host)\r\n", .invalidTarget),
        ("CONNECT shop.example:443 HTTP/1.1\r\n\(host)\r\n", .connectNotSupported),
    ])
    func rejection(request: String, error: HTTPParseError) {
        let r = parseRequest(request)
        #expect(r.result == .error(error))
    }

    @Test func statusesOfRejections() {
        #expect(HTTPParseError.missingHost.status == 400)
        #expect(HTTPParseError.unsupportedTransferCoding.status == 501)
        #expect(HTTPParseError.unsupportedVersion.status == 505)
        #expect(HTTPParseError.requestLineTooLong.status == 414)
        #expect(HTTPParseError.headTooLarge.status == 431)
        #expect(HTTPParseError.tooManyFields.status == 431)
        #expect(HTTPParseError.invalidResponseFraming.status == 502)
    }

    @Test func requestLineOver8KiBIs414() {
        let longTarget = "/" + String(repeating: "a", count: 8 * 1024)
        let complete = parseRequest("GET \(longTarget) HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(complete.result == .error(.requestLineTooLong))
        let unfinished = parseRequest("GET \(longTarget)")
        #expect(unfinished.result == .error(.requestLineTooLong))
        let shortEnough = parseRequest("GET /\(String(repeating: "a", count: 8 * 1024 - 17)) HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(shortEnough.result == .complete)
    }

    @Test func headOver32KiBIs431() {
        let big = "X-Big: " + String(repeating: "b", count: 32 * 1024) + "\r\n"
        let complete = parseRequest("GET / HTTP/1.1\r\nHost: a\r\n\(big)\r\n")
        #expect(complete.result == .error(.headTooLarge))
        let unfinished = parseRequest("GET / HTTP/1.1\r\nHost: a\r\n\(big)")
        #expect(unfinished.result == .error(.headTooLarge))
        let noEndYet = parseRequest("GET / HTTP/1.1\r\nHost: a\r\n" + String(repeating: "X-A: " + String(repeating: "a", count: 400) + "\r\n", count: 90))
        #expect(noEndYet.result == .error(.headTooLarge))
    }

    @Test func headOfExactlyTheLimitIsAccepted() {
        let prefix = "GET / HTTP/1.1\r\nHost: a\r\nX: "
        let filler = String(repeating: "v", count: 32 * 1024 - prefix.utf8.count - 4)
        let r = parseRequest(prefix + filler + "\r\n\r\n")
        #expect(r.result == .complete)
        #expect(r.head.headLength == 32 * 1024)
        let over = parseRequest(prefix + filler + "v\r\n\r\n")
        #expect(over.result == .error(.headTooLarge))
    }

    @Test func moreThan100FieldsIs431() {
        let fields = String(repeating: "X-A: 1\r\n", count: 99)
        #expect(parseRequest("GET / HTTP/1.1\r\nHost: a\r\n\(fields)\r\n").result == .complete)
        let tooMany = parseRequest("GET / HTTP/1.1\r\nHost: a\r\n\(fields)X-B: 2\r\n\r\n")
        #expect(tooMany.result == .error(.tooManyFields))
    }

    @Test func customLimits() {
        let limits = HTTPLimits(maxHeadBytes: 64, maxRequestLineBytes: 20, maxFields: 1)
        #expect(parseRequest("GET /abcdefghij HTTP/1.1\r\n", limits: limits).result == .error(.requestLineTooLong))
        #expect(parseRequest("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\r\n", limits: limits).result == .error(.tooManyFields))
    }

    @Test func errorsResetTheParserForTheNextHead() {
        var parser = HTTPRequestParser()
        let bad = [UInt8](ascii: "GET / HTTP/1.1\r\n\r\n")
        let good = [UInt8](ascii: "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(withBytes(bad) { parser.parse($0) } == .error(.missingHost))
        #expect(withBytes(good) { parser.parse($0) } == .complete)
    }
}
