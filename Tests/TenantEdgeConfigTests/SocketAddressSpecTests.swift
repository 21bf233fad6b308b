import Testing
import TenantEdgeConfig

struct SocketAddressSpecTests {
    @Test(arguments: [
        ("0.0.0.0:8080", "0.0.0.0", 8080),
        ("[::1]:9901", "::1", 9901),
        ("[2001:db8::5]:443", "2001:db8::5", 443),
        ("backend.internal:3000", "backend.internal", 3000),
        ("localhost:65535", "localhost", 65535),
    ] as [(String, String, UInt16)])
    func parsesAndPrintsBack(text: String, host: String, port: UInt16) throws {
        let address = try SocketAddressSpec(parsing: text)
        #expect(address.host == host)
        #expect(address.port == port)
        #expect(address.description == text)
    }

    @Test(arguments: [
        "8080", ":8080", "host:", "host:0", "host:65536", "host:80a", "::1:80", "[::1]80",
        "[::1", "[not-v6]:80", "999.1.1.1:80", "bad host:80", "a..b:80",
    ])
    func rejects(text: String) {
        #expect(throws: SocketAddressSpec.ParseError.self) { try SocketAddressSpec(parsing: text) }
    }
}
