import Testing
@testable import TenantEdgeACME

/// `acme.dns_check`'s decision, apart from any lookup.
struct DNSCheckTests {
    let check = DNSCheck(addresses: ["203.0.113.10", "2001:DB8::10"])

    @Test func oneOfOurAddressesIsEnough() {
        #expect(check.refusal(resolved: ["198.51.100.1", "203.0.113.10"]) == nil)
        #expect(check.refusal(resolved: ["2001:db8:0:0::10"]) == nil)
    }

    @Test func otherwiseTheReasonListsWhatItResolvedTo() {
        #expect(check.refusal(resolved: ["198.51.100.1", "2001:db8::11"])
            == "does not resolve to this proxy (resolved: 198.51.100.1, 2001:db8::11)")
        #expect(check.refusal(resolved: []) == "does not resolve to this proxy (resolved: nothing)")
    }

    @Test func canonicalText() {
        #expect(DNSCheck.canonical("2001:DB8:0::1") == "2001:db8::1")
        #expect(DNSCheck.canonical("10.0.0.1") == "10.0.0.1")
        #expect(DNSCheck.canonical("proxy.example") == nil)
        #expect(DNSCheck.canonical("10.0.0.256") == nil)
    }

    @Test func theSystemResolverAnswersForLocalhost() throws {
        // /etc/hosts, through getaddrinfo; the nameserver path is covered end to end (challtestsrv).
        let addresses = try AddressResolver.resolve("localhost", nameserver: nil).get()
        #expect(addresses.contains("127.0.0.1") || addresses.contains("::1"))
    }
}
