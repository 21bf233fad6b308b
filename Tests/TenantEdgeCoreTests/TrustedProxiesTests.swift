import Testing
@testable import TenantEdgeCore

@Suite struct TrustedProxiesTests {
    private func address(_ text: String) -> ClientAddress {
        guard let address = IPAddressText.parse(text) else {
            Issue.record("'\(text)' did not parse")
            return ClientAddress(ipv4: 0, port: 0)
        }
        return address
    }

    @Test func matchesIPv4AndIPv6Ranges() throws {
        let trusted = try TrustedProxies(parsing: ["10.0.0.0/8", "192.168.1.7", "::1/128", "2001:db8::/32", "172.16.0.0/12"])
        #expect(trusted.contains(address("10.255.1.2")))
        #expect(trusted.contains(address("192.168.1.7")))
        #expect(!trusted.contains(address("192.168.1.8")))
        #expect(trusted.contains(address("::1")))
        #expect(!trusted.contains(address("::2")))
        #expect(trusted.contains(address("2001:db8:ffff::1")))
        #expect(!trusted.contains(address("2001:db9::1")))
        #expect(trusted.contains(address("172.31.255.255")))
        #expect(!trusted.contains(address("172.32.0.0")))
        #expect(!trusted.contains(address("11.0.0.1")))
    }

    @Test func ipv4MappedPeersMatchIPv4Ranges() throws {
        // A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
        let trusted = try TrustedProxies(parsing: ["10.0.0.0/8"])
        #expect(trusted.contains(address("::ffff:10.1.2.3")))
        #expect(!trusted.contains(address("::10.1.2.3")))
    }

    @Test func zeroPrefixes() throws {
        let allIPv4 = try TrustedProxies(parsing: ["0.0.0.0/0"])
        #expect(allIPv4.contains(address("255.255.255.255")))
        #expect(!allIPv4.contains(address("2001:db8::1")))
        let everything = try TrustedProxies(parsing: ["::/0"])
        #expect(everything.contains(address("2001:db8::1")))
        #expect(everything.contains(address("1.2.3.4")))
    }

    @Test func portsAreIgnored() throws {
        let trusted = try TrustedProxies(parsing: ["10.0.0.1/32"])
        #expect(trusted.contains(ClientAddress(ipv4: 0x0A00_0001, port: 4444)))
    }

    @Test func emptyListTrustsNobody() {
        #expect(!TrustedProxies().contains(ClientAddress(ipv4: 0x7F00_0001, port: 1)))
    }

    @Test(arguments: [
        ("10.0.0.0/33", "invalid prefix length"),
        ("10.0.0.0/", "invalid prefix length"),
        ("10.0.0.0/8x", "invalid prefix length"),
        ("::/129", "invalid prefix length"),
        ("10.0.0/8", "is not an IPv4 or IPv6 address"),
        ("example.com/8", "is not an IPv4 or IPv6 address"),
        ("", "is not an IPv4 or IPv6 address"),
        ("10.1.0.0/8", "did you mean 10.0.0.0/8?"),
        ("2001:db8::1/32", "did you mean 2001:db8::/32?"),
    ])
    func rejections(text: String, fragment: String) {
        #expect(throws: CIDRRange.ParseError.self) { try CIDRRange(parsing: text) }
        do {
            _ = try CIDRRange(parsing: text)
        } catch {
            #expect(error.reason.contains(fragment), "\(error.reason)")
        }
    }

    @Test func everyBadEntryIsReported() {
        do {
            _ = try TrustedProxies(parsing: ["10.0.0.0/8", "bogus", "::1/200"])
            Issue.record("expected an error")
        } catch {
            #expect(error.problems.map(\.index) == [1, 2])
        }
    }

    @Test func rangesPrintBack() throws {
        #expect(try CIDRRange(parsing: "10.0.0.0/8").description == "10.0.0.0/8")
        #expect(try CIDRRange(parsing: "2001:DB8:0:0::/64").description == "2001:db8::/64")
        #expect(try CIDRRange(parsing: "::1").description == "::1/128")
    }

    @Test(arguments: [
        ("::", "::"), ("::1", "::1"), ("1::", "1::"), ("2001:db8::1", "2001:db8::1"),
        ("2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"),
        ("1:0:0:2:0:0:0:3", "1:0:0:2::3"), ("1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0"),
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1"), ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
        ("FE80::A", "fe80::a"), ("0.0.0.0", "0.0.0.0"), ("255.255.255.255", "255.255.255.255"),
    ])
    func addressesFormatPerRFC5952(text: String, expected: String) {
        #expect(address(text).addressText == expected)
    }

    @Test(arguments: ["1:2:3:4:5:6:7:8:9", "1::2::3", ":1", "1:", "1:2:3:4:5:6:7", "12345::1", "::g",
                      "1.2.3", "1.2.3.4.5", "01.2.3.4", "::1.2.3", "1:2:3:4:5:6:7:1.2.3.4", "fe80::1%eth0"])
    func invalidAddressesAreRefused(text: String) {
        #expect(IPAddressText.parse(text) == nil)
    }
}
