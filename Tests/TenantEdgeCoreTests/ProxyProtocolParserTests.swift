import Testing
@testable import TenantEdgeCore

@Suite struct ProxyProtocolParserTests {
    private func parse(_ bytes: [UInt8]) -> ProxyProtocolResult {
        bytes.withUnsafeBytes { ProxyProtocolParser.parse($0) }
    }

    private func parse(_ text: String) -> ProxyProtocolResult { parse(Array(text.utf8)) }

    private func source(_ result: ProxyProtocolResult) -> ClientAddress? {
        if case .complete(_, let source) = result { return source }
        return nil
    }

    // MARK: v1

    @Test func v1TCP4() {
        let line = "PROXY TCP4 192.168.0.1 10.0.0.2 56324 443\r\n"
        let result = parse(line + "GET / HTTP/1.1\r\n")
        #expect(result == .complete(consumed: line.utf8.count, source: ClientAddress(ipv4: 0xC0A8_0001, port: 56324)))
        #expect(source(result)?.addressText == "192.168.0.1")
    }

    @Test func v1TCP6() {
        let line = "PROXY TCP6 2001:db8::1 2001:db8::2 65535 0\r\n"
        let result = parse(line)
        guard case .complete(let consumed, let source?) = result else {
            Issue.record("expected a source, got \(result)")
            return
        }
        #expect(consumed == line.utf8.count)
        #expect(source.family == .ipv6)
        #expect(source.port == 65535)
        #expect(source.addressText == "2001:db8::1")
    }

    @Test func v1Unknown() {
        #expect(parse("PROXY UNKNOWN\r\n") == .complete(consumed: 15, source: nil))
        // Whatever follows UNKNOWN is ignored.
        let long = "PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n"
        #expect(parse(long) == .complete(consumed: long.utf8.count, source: nil))
    }

    @Test func v1LongestLineFits() {
        let line = "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n"
        #expect(line.utf8.count == 104)
        #expect(source(parse(line))?.port == 65535)
    }

    @Test(arguments: [
        ("PROXY TCP4 192.168.0.1 10.0.0.2 56324 443\n", ProxyProtocolError.v1Malformed),
        ("PROXY TCP4 192.168.0.1 10.0.0.2 56324 443\rX", .v1Malformed),
        ("PROXY TCP4 192.168.0.1  10.0.0.2 56324 443\r\n", .v1Malformed),
        ("PROXY TCP4 192.168.0.1 10.0.0.2 56324\r\n", .v1Malformed),
        ("PROXY TCP4 192.168.0.1 10.0.0.2 56324 443 \r\n", .v1Malformed),
        ("PROXY TCP4 192.168.0.1 10.0.0.2 56324 443 1\r\n", .v1Malformed),
        ("PROXY \r\n", .v1Malformed),
        ("PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n", .v1Malformed),
        ("PROXY UDP4 192.168.0.1 10.0.0.2 56324 443\r\n", .v1UnknownProtocol),
        ("PROXY tcp4 192.168.0.1 10.0.0.2 56324 443\r\n", .v1UnknownProtocol),
        ("PROXY TCP4 2001:db8::1 10.0.0.2 56324 443\r\n", .v1BadAddress),
        ("PROXY TCP6 192.168.0.1 2001:db8::2 56324 443\r\n", .v1BadAddress),
        ("PROXY TCP4 192.168.0.256 10.0.0.2 56324 443\r\n", .v1BadAddress),
        ("PROXY TCP4 192.168.0.01 10.0.0.2 56324 443\r\n", .v1BadAddress),
        ("PROXY TCP4 192.168.0.1 10.0.0 56324 443\r\n", .v1BadAddress),
        ("PROXY TCP6 2001:db8:::1 ::2 1 2\r\n", .v1BadAddress),
        ("PROXY TCP4 192.168.0.1 10.0.0.2 65536 443\r\n", .v1BadPort),
        ("PROXY TCP4 192.168.0.1 10.0.0.2 056 443\r\n", .v1BadPort),
        ("PROXY TCP4 192.168.0.1 10.0.0.2 1 -1\r\n", .v1BadPort),
        ("PROXY TCP4 192.168.0.1 10.0.0.2 1 4x3\r\n", .v1BadPort),
        ("GET / HTTP/1.1\r\n", .missingSignature),
        ("PROXX TCP4\r\n", .missingSignature),
        ("proxy TCP4\r\n", .missingSignature),
    ])
    func v1Rejections(line: String, error: ProxyProtocolError) {
        #expect(parse(line) == .invalid(error))
    }

    @Test func v1WithoutCRLFWithin107BytesIsRefused() {
        let long = "PROXY UNKNOWN " + String(repeating: "a", count: 120)
        #expect(parse(long) == .invalid(.v1TooLong))
        // CR at index 106 would end the line at 108 bytes: one too many.
        let justOver = "PROXY UNKNOWN " + String(repeating: "a", count: 92) + "\r\n"
        #expect(justOver.utf8.count == 108)
        #expect(parse(justOver) == .invalid(.v1TooLong))
        let justFits = "PROXY UNKNOWN " + String(repeating: "a", count: 91) + "\r\n"
        #expect(parse(justFits) == .complete(consumed: 107, source: nil))
    }

    @Test func v1SplitFeedingIsIncompleteUntilTheLineEnds() {
        let bytes = Array("PROXY TCP4 192.168.0.1 10.0.0.2 56324 443\r\nGET".utf8)
        for length in 0..<(bytes.count - 3) {
            #expect(parse(Array(bytes[..<length])) == .incomplete, "prefix of \(length) bytes")
        }
        #expect(parse(Array(bytes[..<(bytes.count - 3)])) == .complete(consumed: bytes.count - 3,
                                                                      source: ClientAddress(ipv4: 0xC0A8_0001, port: 56324)))
        // A wrong byte is refused as soon as it arrives.
        #expect(parse("PRO\u{0}") == .invalid(.missingSignature))
        #expect(parse("PROXY TCP4 1.2.3.4\n") == .invalid(.v1Malformed))
    }

    // MARK: v2

    static let signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    /// A v2 header with the given command/family bytes, address block and TLVs.
    static func v2(command: UInt8 = 0x21, family: UInt8 = 0x11, addresses: [UInt8], tlvs: [UInt8] = [], length: Int? = nil) -> [UInt8] {
        let body = addresses + tlvs
        let announced = length ?? body.count
        return signature + [command, family, UInt8(announced >> 8), UInt8(announced & 0xFF)] + body
    }

    static let ipv4Block: [UInt8] = [203, 0, 113, 7, 10, 0, 0, 1, 0xC3, 0x50, 0x01, 0xBB]  // :50000 -> :443
    static let ipv6Block: [UInt8] = [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [0x05]
        + [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [0x06] + [0x04, 0xD2, 0x01, 0xBB]

    static func tlv(_ type: UInt8, _ value: [UInt8]) -> [UInt8] {
        [type, UInt8(value.count >> 8), UInt8(value.count & 0xFF)] + value
    }

    @Test func v2ProxyIPv4() {
        let header = Self.v2(addresses: Self.ipv4Block)
        let result = parse(header + Array("GET".utf8))
        #expect(result == .complete(consumed: 28, source: ClientAddress(ipv4: 0xCB00_7107, port: 50000)))
        #expect(source(result)?.description == "203.0.113.7:50000")
    }

    @Test func v2ProxyIPv6() {
        let result = parse(Self.v2(family: 0x21, addresses: Self.ipv6Block))
        guard case .complete(let consumed, let source?) = result else {
            Issue.record("expected a source, got \(result)")
            return
        }
        #expect(consumed == 52)
        #expect(source.description == "[2001:db8::5]:1234")
    }

    @Test func v2LocalIgnoresTheAddressBlock() {
        #expect(parse(Self.v2(command: 0x20, family: 0x00, addresses: [])) == .complete(consumed: 16, source: nil))
        // LOCAL with an address block (some balancers send one) is still LOCAL.
        #expect(parse(Self.v2(command: 0x20, family: 0x11, addresses: Self.ipv4Block)) == .complete(consumed: 28, source: nil))
    }

    @Test func v2UnspecAndUnixUseTheRealPeer() {
        #expect(parse(Self.v2(family: 0x00, addresses: [1, 2, 3])) == .complete(consumed: 19, source: nil))
        let unix = [UInt8](repeating: 0x2F, count: 216)
        #expect(parse(Self.v2(family: 0x31, addresses: unix)) == .complete(consumed: 232, source: nil))
    }

    @Test func v2TLVsAreParsedAndUnknownOnesSkipped() {
        let tlvs = Self.tlv(0x01, Array("h2".utf8)) + Self.tlv(0x02, Array("shop.example".utf8))
            + Self.tlv(0x04, [0, 0, 0]) + Self.tlv(0x05, [UInt8](repeating: 7, count: 128))
            + Self.tlv(0x20, [0x01, 0, 0, 0, 0] + Self.tlv(0x21, Array("TLSv1.3".utf8)))
            + Self.tlv(0xEA, [0x01] + Array("vpce-0123".utf8)) + Self.tlv(0x7F, [])
        let header = Self.v2(addresses: Self.ipv4Block, tlvs: tlvs)
        #expect(parse(header) == .complete(consumed: header.count, source: ClientAddress(ipv4: 0xCB00_7107, port: 50000)))
    }

    @Test func v2CRC32CIsChecked() {
        var header = Self.v2(addresses: Self.ipv4Block, tlvs: Self.tlv(0x03, [0, 0, 0, 0]))
        let crc = header.withUnsafeBytes { CRC32C.checksum($0, count: $0.count) }
        header[header.count - 4] = UInt8(crc >> 24)
        header[header.count - 3] = UInt8((crc >> 16) & 0xFF)
        header[header.count - 2] = UInt8((crc >> 8) & 0xFF)
        header[header.count - 1] = UInt8(crc & 0xFF)
        #expect(parse(header) == .complete(consumed: header.count, source: ClientAddress(ipv4: 0xCB00_7107, port: 50000)))
        header[16] ^= 1  // the source address changed in transit
        #expect(parse(header) == .invalid(.v2ChecksumMismatch))
    }

    @Test func crc32cKnownAnswer() {
        // RFC 3720 appendix B.4: 32 bytes of zeros.
        let zeros = [UInt8](repeating: 0, count: 32)
        #expect(zeros.withUnsafeBytes { CRC32C.checksum($0, count: 32) } == 0x8A91_36AA)
        let digits = Array("123456789".utf8)
        #expect(digits.withUnsafeBytes { CRC32C.checksum($0, count: 9) } == 0xE306_9283)
    }

    @Test(arguments: [
        (ProxyProtocolParserTests.v2(command: 0x11, addresses: ProxyProtocolParserTests.ipv4Block), ProxyProtocolError.v2BadVersion),
        (ProxyProtocolParserTests.v2(command: 0x31, addresses: ProxyProtocolParserTests.ipv4Block), .v2BadVersion),
        (ProxyProtocolParserTests.v2(command: 0x22, addresses: ProxyProtocolParserTests.ipv4Block), .v2BadCommand),
        (ProxyProtocolParserTests.v2(family: 0x41, addresses: ProxyProtocolParserTests.ipv4Block), .v2BadFamily),
        (ProxyProtocolParserTests.v2(family: 0x13, addresses: ProxyProtocolParserTests.ipv4Block), .v2BadFamily),
        (ProxyProtocolParserTests.v2(family: 0x12, addresses: ProxyProtocolParserTests.ipv4Block), .v2BadFamily),
        (ProxyProtocolParserTests.v2(family: 0x10, addresses: ProxyProtocolParserTests.ipv4Block), .v2BadFamily),
        (ProxyProtocolParserTests.v2(family: 0x21, addresses: ProxyProtocolParserTests.ipv4Block), .v2AddressTooShort),
        (ProxyProtocolParserTests.v2(addresses: Array(ProxyProtocolParserTests.ipv4Block.prefix(8))), .v2AddressTooShort),
        (ProxyProtocolParserTests.v2(addresses: ProxyProtocolParserTests.ipv4Block, tlvs: [0x01, 0x00]), .v2BadTLV),
        (ProxyProtocolParserTests.v2(addresses: ProxyProtocolParserTests.ipv4Block, tlvs: [0x01, 0x00, 0x05, 0x61]), .v2BadTLV),
        (ProxyProtocolParserTests.v2(addresses: ProxyProtocolParserTests.ipv4Block, tlvs: ProxyProtocolParserTests.tlv(0x03, [0, 0])), .v2BadTLV),
        (ProxyProtocolParserTests.v2(addresses: ProxyProtocolParserTests.ipv4Block, tlvs: ProxyProtocolParserTests.tlv(0x05, [UInt8](repeating: 1, count: 129))), .v2BadTLV),
        (ProxyProtocolParserTests.v2(addresses: ProxyProtocolParserTests.ipv4Block, tlvs: ProxyProtocolParserTests.tlv(0x20, [1, 0, 0])), .v2BadTLV),
        (ProxyProtocolParserTests.v2(addresses: ProxyProtocolParserTests.ipv4Block, tlvs: ProxyProtocolParserTests.tlv(0x20, [1, 0, 0, 0, 0, 0x21, 0x00, 0x09, 0x41])), .v2BadTLV),
        (ProxyProtocolParserTests.v2(addresses: [], length: 2033), .v2TooLong),
        (Array(ProxyProtocolParserTests.signature.prefix(11)) + [0x00], .missingSignature),
    ])
    func v2Rejections(header: [UInt8], error: ProxyProtocolError) {
        #expect(parse(header) == .invalid(error))
    }

    @Test func v2AtTheLengthBoundIsAccepted() {
        let tlvs = Self.tlv(0x04, [UInt8](repeating: 0, count: ProxyProtocolParser.maximumV2Length - 16 - 12 - 3))
        let header = Self.v2(addresses: Self.ipv4Block, tlvs: tlvs)
        #expect(header.count == ProxyProtocolParser.maximumV2Length)
        #expect(parse(header) == .complete(consumed: header.count, source: ClientAddress(ipv4: 0xCB00_7107, port: 50000)))
    }

    @Test func v2SplitFeedingIsIncompleteUntilTheWholeHeaderArrived() {
        let header = Self.v2(addresses: Self.ipv4Block, tlvs: Self.tlv(0x02, Array("a.example".utf8)))
        for length in 0..<header.count {
            #expect(parse(Array(header[..<length])) == .incomplete, "prefix of \(length) bytes")
        }
        #expect(parse(header) == .complete(consumed: header.count, source: ClientAddress(ipv4: 0xCB00_7107, port: 50000)))
        // Bad version and family are refused before the rest has arrived.
        #expect(parse(Self.signature + [0x31]) == .invalid(.v2BadVersion))
        #expect(parse(Self.signature + [0x21, 0x51]) == .invalid(.v2BadFamily))
        #expect(parse(Self.signature + [0x21, 0x11, 0xFF, 0xFF]) == .invalid(.v2TooLong))
    }

    @Test func emptyBufferIsIncomplete() {
        #expect(parse([UInt8]()) == .incomplete)
        #expect(parse([0x16, 0x03, 0x01]) == .invalid(.missingSignature))  // a TLS ClientHello
    }
}
