import Testing
@testable import TenantEdgeCore

/// Drives the rewriter with heads the real parser produced, and reads the bytes a
/// backend would receive.
struct UpstreamRequestWriterTests {
    private func rewrite(_ request: String, storeHost: Bool = true, added: [(String, String)] = []) -> String {
        let bytes = Array(request.utf8)
        var parser = HTTPRequestParser()
        var out: [UInt8] = []
        bytes.withUnsafeBytes { buffer in
            let result = parser.parse(buffer)
            #expect(result == .complete, "fixture must parse: \(result)")
            UpstreamRequestWriter.begin(
                into: &out, head: parser.head, fields: parser.fields, buffer: buffer,
                storeHost: storeHost, parser: parser)
        }
        for (name, value) in added {
            Array(value.utf8).withUnsafeBytes {
                UpstreamRequestWriter.appendHeader(Array("\(name): ".utf8), $0, into: &out)
            }
        }
        UpstreamRequestWriter.finish(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private func headerNames(_ head: String) -> [String] {
        head.split(separator: "\r\n").dropFirst().map { line in
            String(line.prefix { $0 != ":" }).lowercased()
        }
    }

    @Test func keepsRequestLineHostAndOrdinaryHeaders() {
        let out = rewrite("GET /a?b=1 HTTP/1.1\r\nHost: Shop.Example.com\r\nAccept: */*\r\nCookie: x=1\r\n\r\n")
        #expect(out == "GET /a?b=1 HTTP/1.1\r\nHost: Shop.Example.com\r\nAccept: */*\r\nCookie: x=1\r\n\r\n")
    }

    @Test(arguments: [
        "X-Tenant-Context", "x-tenant-context", "X_Tenant_Context", "X-STORE-ID", "x_store_id",
        "X-Store-Slug", "X_STORE_SLUG", "X-Forwarded-For", "x-forwarded-proto", "X-Forwarded-Host",
        "X-Forwarded-Port", "X-Request-Id", "Forwarded", "Keep-Alive", "TE", "Proxy-Connection", "Trailer",
    ])
    func stripsSpoofableAndHopByHopHeaders(name: String) {
        let out = rewrite("GET / HTTP/1.1\r\nHost: a.example\r\n\(name): evil\r\nAccept: x\r\n\r\n")
        #expect(!out.contains("evil"), "\(name) reached the backend: \(out)")
        #expect(out.contains("Accept: x\r\n"))
    }

    @Test func passthroughHostsKeepStoreHeadersButNeverTheContext() {
        let out = rewrite(
            "GET / HTTP/1.1\r\nHost: api.example\r\nX-Store-Id: 42\r\nX-Tenant-Context: forged\r\n\r\n",
            storeHost: false)
        #expect(out.contains("X-Store-Id: 42\r\n"))
        #expect(!out.contains("forged"))
    }

    @Test func stripsWhatConnectionNominatesButNotWhatTheProxyAdds() {
        let out = rewrite(
            "GET / HTTP/1.1\r\nHost: a.example\r\nConnection: X-Secret, close\r\nX-Secret: 1\r\nX-Other: 2\r\n\r\n",
            added: [("X-Tenant-Context", "signed")])
        #expect(!out.contains("X-Secret"))
        #expect(!out.lowercased().contains("connection:"))
        #expect(out.contains("X-Other: 2\r\n"))
        #expect(out.contains("X-Tenant-Context: signed\r\n"))
    }

    @Test func absoluteFormBecomesOriginFormWithItsAuthorityAsHost() {
        let out = rewrite("GET http://Shop.Example.com:8080/p?q HTTP/1.1\r\nHost: other.example\r\n\r\n")
        #expect(out.hasPrefix("GET /p?q HTTP/1.1\r\n"))
        #expect(out.contains("Host: Shop.Example.com:8080\r\n"))
        #expect(!out.contains("other.example"))
    }

    @Test func upgradeRequestsKeepUpgradeAndSayConnectionUpgrade() {
        let out = rewrite("GET /ws HTTP/1.1\r\nHost: a.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
        #expect(out.contains("Upgrade: websocket\r\n"))
        #expect(out.contains("Connection: upgrade\r\n"))
        #expect(headerNames(out).filter { $0 == "connection" }.count == 1)
    }

    @Test func http10RequestIsSentAsHTTP11() {
        let out = rewrite("GET / HTTP/1.0\r\nHost: a.example\r\n\r\n")
        #expect(out.hasPrefix("GET / HTTP/1.1\r\n"))
    }

    @Test func bodyFramingHeadersPassThrough() {
        let out = rewrite("POST /u HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(out.contains("Transfer-Encoding: chunked\r\n"))
    }

    /// Valid but unusual framing spellings reach the backend as one canonical line, so it
    /// cannot frame the body differently from the proxy (issue 8, adversarial suite).
    @Test(arguments: [
        ("Transfer-Encoding: ,chunked", "Transfer-Encoding: chunked"),
        ("Transfer-Encoding: CHUNKED ", "Transfer-Encoding: chunked"),
        ("Transfer-Encoding: chunked,", "Transfer-Encoding: chunked"),
        ("Content-Length: 5, 5", "Content-Length: 5"),
        ("Content-Length: 5\r\nContent-Length: 5", "Content-Length: 5"),
        ("Content-Length: 0007", "Content-Length: 7"),
        ("Content-Length: 0", "Content-Length: 0"),
        ("Content-Length: 1099511627776", "Content-Length: 1099511627776"),
        ("Content-Length:  1234567890 ", "Content-Length: 1234567890"),
    ])
    func framingIsWrittenCanonically(_ sent: String, _ forwarded: String) {
        let out = rewrite("POST /u HTTP/1.1\r\nHost: a.example\r\n\(sent)\r\nX-After: 1\r\n\r\n")
        let framing = out.split(separator: "\r\n").filter {
            $0.lowercased().hasPrefix("content-length") || $0.lowercased().hasPrefix("transfer-encoding")
        }
        #expect(framing == [Substring(forwarded)], "\(out)")
        #expect(out.contains("X-After: 1\r\n"))
    }

    @Test func bodilessRequestGetsNoFramingLine() {
        let out = rewrite("GET / HTTP/1.1\r\nHost: a.example\r\n\r\n")
        #expect(!out.lowercased().contains("content-length") && !out.lowercased().contains("transfer-encoding"))
    }
}
