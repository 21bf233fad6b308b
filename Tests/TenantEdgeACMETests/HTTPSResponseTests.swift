import Testing
@testable import TenantEdgeACME

/// The ACME client's response parsing, on bytes: every shape a CA (or something posing as
/// one) might send, and every malformed one rejected with an error instead of a crash.
struct HTTPSResponseTests {
    private func parse(_ text: String) throws(ACMEError) -> HTTPSResponse {
        try HTTPSResponse(parsing: Array(text.utf8))
    }

    private func failure(_ text: String) -> String? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            #expect(error.kind == .transport)
            return error.description
        }
    }

    @Test func statusHeadersAndContentLengthBody() throws {
        let response = try parse("HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nReplay-Nonce:  abc \r\n"
            + "Location: https://ca/acct/1\r\nContent-Length: 2\r\n\r\n{}trailing garbage")
        #expect(response.status == 201)
        #expect(response.header("Replay-Nonce") == "abc")
        #expect(response.header("LOCATION") == "https://ca/acct/1")
        #expect(response.body == Array("{}".utf8))
    }

    @Test func statusLineWithoutReasonAndBodyToEOF() throws {
        let response = try parse("HTTP/1.0 204\r\n\r\n")
        #expect(response.status == 204 && response.body.isEmpty)
        #expect(try parse("HTTP/1.1 200 OK\r\n\r\nall of it").body == Array("all of it".utf8))
    }

    @Test func repeatedFieldsJoinAndLinksStayApart() throws {
        let response = try parse("HTTP/1.1 200 OK\r\nLink: <https://ca/a>;rel=\"up\"\r\nLink: <https://ca/b>;rel=\"alternate\"\r\n"
            + "Vary: a\r\nVary: b\r\nContent-Length: 0\r\n\r\n")
        #expect(response.links == ["<https://ca/a>;rel=\"up\"", "<https://ca/b>;rel=\"alternate\""])
        #expect(response.header("vary") == "a, b")
    }

    @Test func chunkedBodies() throws {
        let response = try parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "4\r\nWiki\r\n6;ext=1\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nTrailer: x\r\n\r\n")
        #expect(String(decoding: response.body, as: UTF8.self) == "Wikipedia in \r\n\r\nchunks.")
        #expect(try parse("HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n0\r\n\r\n").body.isEmpty)
    }

    @Test func malformedResponsesAreErrors() {
        #expect(failure("") == "incomplete HTTP response")
        #expect(failure("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n") == "incomplete HTTP response")
        #expect(failure("SSH-2.0-OpenSSH\r\n\r\n") == "bad status line: SSH-2.0-OpenSSH")
        #expect(failure("HTTP/1.1 2000 OK\r\n\r\n") == "bad status line: HTTP/1.1 2000 OK")
        #expect(failure("HTTP/1.1 abc OK\r\n\r\n") == "bad status line: HTTP/1.1 abc OK")
        #expect(failure("HTTP/1.1\r\n\r\n") == "bad status line: HTTP/1.1")
        #expect(failure("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n") == "bad header line: no colon here")
        #expect(failure("HTTP/1.1 200 OK\r\n: empty name\r\n\r\n") == "bad header line: : empty name")
        #expect(failure("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort") == "body shorter than its Content-Length")
        #expect(failure("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n") == "bad Content-Length: -1")
        #expect(failure("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n") == "bad Content-Length: x")
    }

    @Test func malformedChunksAreErrorsNotCrashes() {
        let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(failure(head + "zz\r\nab\r\n0\r\n\r\n") == "bad chunk size")
        #expect(failure(head + "-1\r\nab\r\n0\r\n\r\n") == "bad chunk size")
        #expect(failure(head + "\r\nab\r\n0\r\n\r\n") == "bad chunk size")
        #expect(failure(head + "7fffffffffffffff\r\nab\r\n") == "bad chunk size")
        #expect(failure(head + "ffffffff\r\nab\r\n") == "truncated chunk")
        #expect(failure(head + "5\r\nab") == "truncated chunk")
        #expect(failure(head + "2\r\nab") == "chunk without its CRLF")
        #expect(failure(head + "2\r\nabXY0\r\n\r\n") == "chunk without its CRLF")
        #expect(failure(head + "2\r\nab\r\n") == "bad chunked body")
        #expect(failure(head + "2") == "bad chunked body")
    }
}
