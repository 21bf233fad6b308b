import Testing
@testable import TenantEdgeCore

@Suite struct ResponseHeadWriterTests {
    static func write(
        _ response: String, method: HTTPMethod = .get, closeClient: Bool = false, announceKeepAlive: Bool = false
    ) -> String {
        let r = parseResponse(response, method: method)
        #expect(r.result == .complete)
        var out: [UInt8] = []
        withBytes(r.bytes) { buffer in
            ResponseHeadWriter.write(
                r.parser, from: buffer, closeClient: closeClient, announceKeepAlive: announceKeepAlive, into: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }

    @Test func dropsHopByHopAndKeepsFraming() {
        let out = Self.write(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: keep-alive, X-Hop\r\nKeep-Alive: timeout=5\r\n"
                + "Proxy-Connection: keep-alive\r\nTE: trailers\r\nTrailer: X-Sum\r\nUpgrade: h2c\r\nX-Hop: 1\r\n"
                + "Transfer-Encoding: chunked\r\nSet-Cookie: a=b\r\n\r\n")
        #expect(out == "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nSet-Cookie: a=b\r\n\r\n")
    }

    @Test func connectionCannotDropContentLength() {
        let out = Self.write("HTTP/1.1 200 OK\r\nConnection: Content-Length\r\nContent-Length: 2\r\n\r\n")
        #expect(out == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")
    }

    @Test func closeClientAppendsConnectionClose() {
        let out = Self.write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", closeClient: true)
        #expect(out == "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    }

    @Test func announceKeepAliveForHTTP10Clients() {
        let out = Self.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", announceKeepAlive: true)
        #expect(out == "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n")
    }

    @Test func switchingProtocolsKeepsUpgrade() {
        let out = Self.write(
            "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: x\r\n\r\n",
            closeClient: true)
        #expect(out == "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: x\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n")
    }

    @Test func statusLineIsSentAsHTTP11() {
        let out = Self.write("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n")
        #expect(out == "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n")
    }

    @Test func appendsToExistingOutput() {
        let r = parseResponse("HTTP/1.1 204 No Content\r\n\r\n")
        var out: [UInt8] = [0x41]
        withBytes(r.bytes) { ResponseHeadWriter.write(r.parser, from: $0, closeClient: false, into: &out) }
        #expect(String(decoding: out, as: UTF8.self) == "AHTTP/1.1 204 No Content\r\n\r\n")
    }
}
