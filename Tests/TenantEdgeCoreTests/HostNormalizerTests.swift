import Testing
@testable import TenantEdgeCore

@Suite struct HostNormalizerTests {
    @Test(arguments: [
        ("example.com", "example.com"),
        ("Example.COM", "example.com"),
        ("shop.example.com:8443", "shop.example.com"),
        ("example.com.", "example.com"),
        ("example.com.:80", "example.com"),
        ("example.com:", "example.com"),
        ("a-b_c.example.com", "a-b_c.example.com"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("localhost", "localhost"),
    ])
    func acceptsAndNormalizes(raw: String, expected: String) {
        #expect(normalized(raw) == .success(NormalizedHostString(host: expected, isIPLiteral: false)))
    }

    @Test(arguments: [
        ("", HostError.empty),
        (":80", .empty),
        ("example..com", .emptyLabel),
        (".example.com", .emptyLabel),
        ("example.com..", .emptyLabel),
        (".", .emptyLabel),
        ("user@example.com", .invalidCharacter),
        ("example.com/path", .invalidCharacter),
        ("example.com\\evil", .invalidCharacter),
        ("exa mple.com", .invalidCharacter),
        ("example.com\u{0}", .invalidCharacter),
        ("example.com\r\nX: y", .invalidCharacter),
        ("example.com\u{7F}", .invalidCharacter),
        ("*.example.com", .invalidCharacter),
        ("bücher.example", .nonASCII),
        ("example.com:80a", .badPort),
        ("example.com:65536", .badPort),
        ("example.com:123456", .badPort),
        ("example.com:80:80", .badPort),
        ("[::1", .invalidCharacter),
        ("[::1]x", .invalidCharacter),
        ("[fe80::1%eth0]", .invalidCharacter),
        ("[127.0.0.1]", .invalidCharacter),
        ("[::1]:99999", .badPort),
    ])
    func rejects(raw: String, expected: HostError) {
        #expect(normalized(raw) == .failure(expected))
    }

    @Test func lengthLimits() {
        let label63 = String(repeating: "a", count: 63)
        #expect(normalized(label63 + ".com").isSuccess)
        #expect(normalized(label63 + "a.com") == .failure(.labelTooLong))

        // 4 x 63 + 3 dots = 255 > 253; 3 x 63 + 61 + 3 dots = 253 exactly.
        let tooLong = [label63, label63, label63, label63].joined(separator: ".")
        #expect(normalized(tooLong) == .failure(.tooLong))
        let exactly253 = [label63, label63, label63, String(repeating: "b", count: 61)].joined(separator: ".")
        #expect(exactly253.utf8.count == 253)
        #expect(normalized(exactly253).isSuccess)
        #expect(normalized(exactly253 + ".").isSuccess)  // the trailing dot does not count
        #expect(normalized(exactly253 + "b") == .failure(.tooLong))
        #expect(normalized(String(repeating: "a.", count: 2000)) == .failure(.tooLong))
    }

    @Test(arguments: [
        ("10.0.0.1", "10.0.0.1"),
        ("127.0.0.1:8080", "127.0.0.1"),
        ("127.1", "127.1"),
        ("0x7f.0.0.1", "0x7f.0.0.1"),
        ("example.0x1F", "example.0x1f"),
        ("[::1]", "[::1]"),
        ("[2001:DB8::1]:443", "[2001:db8::1]"),
        ("[::ffff:10.0.0.1]", "[::ffff:10.0.0.1]"),
    ])
    func flagsIPLiterals(raw: String, expected: String) {
        #expect(normalized(raw) == .success(NormalizedHostString(host: expected, isIPLiteral: true)))
    }

    @Test(arguments: ["1a.example.com", "123.example.com", "example.com1", "0xg.example"])
    func namesWithNumbersAreNotIPLiterals(raw: String) {
        #expect((try? normalized(raw).get())?.isIPLiteral == false)
    }

    @Test func byteEntryPointReusesBufferAndResetsFlag() {
        var out: [UInt8] = []
        var isIPLiteral = false
        var raw = Array("10.0.0.1:80".utf8)
        #expect(raw.withUnsafeBytes { HostNormalizer.normalize($0, into: &out, isIPLiteral: &isIPLiteral) } == nil)
        #expect(isIPLiteral)
        #expect(out == Array("10.0.0.1".utf8))

        raw = Array("WWW.Example.com".utf8)
        #expect(raw.withUnsafeBytes { HostNormalizer.normalize($0, into: &out, isIPLiteral: &isIPLiteral) } == nil)
        #expect(!isIPLiteral)
        #expect(out == Array("www.example.com".utf8))

        raw = Array("bad@host".utf8)
        #expect(raw.withUnsafeBytes { HostNormalizer.normalize($0, into: &out, isIPLiteral: &isIPLiteral) } == .invalidCharacter)
        #expect(!isIPLiteral)
    }

    private func normalized(_ raw: String) -> Result<NormalizedHostString, HostError> {
        HostNormalizer.normalize(raw)
    }
}

private extension Result {
    var isSuccess: Bool {
        if case .success = self { true } else { false }
    }
}
