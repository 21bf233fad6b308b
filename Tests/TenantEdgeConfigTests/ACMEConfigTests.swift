import Foundation
import Testing
@testable import TenantEdgeConfig

/// `acme:` (issue 9): defaults, every key, and each bad value rejected with its key and line.
struct ACMEConfigTests {
    static let key = Data(repeating: 7, count: 32).base64EncodedString()
    static let environment = ConfigLoaderTests.environment.merging(["ENCRYPTION_KEY": key]) { $1 }

    private func load(_ acme: String, environment: [String: String] = environment, base: String = ConfigLoaderTests.minimal) throws(ConfigError) -> EdgeConfig {
        try ConfigLoader.load(yaml: base + "\n" + acme, file: "test.yaml", configDirectory: "/etc/tenant-edge", environment: environment)
    }

    /// `line keyPath: message` of every problem of a config that must fail.
    private func problems(_ acme: String, environment: [String: String] = environment, base: String = ConfigLoaderTests.minimal) -> [String] {
        do {
            _ = try load(acme, environment: environment, base: base)
            Issue.record("expected the config to be rejected")
            return []
        } catch {
            return error.problems.map { "\($0.line ?? 0) \($0.keyPath): \($0.message)" }
        }
    }

    /// `minimal` has 8 lines; `acme:` is line 9 (10 after `withHTTPS`) and its keys follow. A
    /// problem of the whole mapping is reported at its first key's line.
    private static let withHTTPS = ConfigLoaderTests.minimal.replacingOccurrences(
        of: "  - { address: \"0.0.0.0:8080\" }", with: "  - { address: \"0.0.0.0:8443\", protocol: https }")
        + "\ntls: { certificates_dir: certs }"

    @Test func absentAndDefaults() throws {
        #expect(try load("").acme == nil)
        let acme = try #require(try load("acme: { enabled: true }").acme)
        #expect(acme.enabled)
        #expect(acme.directoryURL == ACMEConfig.presets["letsencrypt"])
        #expect(acme.challenge == .http01)
        #expect(acme.dnsCheck == nil)
        #expect(acme.encryptionKey == Self.key)
        #expect(acme.renewBefore == 1.0 / 3.0)
        #expect(acme.scanInterval == 300 && acme.retryInitial == 60 && acme.retryMax == 86_400)
    }

    @Test func everyKeyIsRead() throws {
        let acme = try #require(try load("""
            acme:
              enabled: true
              directory_url: letsencrypt-staging
              email: ops@platform.example
              challenge: tls-alpn-01
              dns_check:
                addresses: [203.0.113.10, "2001:db8::10"]
                nameserver: "127.0.0.1:8053"
              renew_before: 0.25
              encryption_key_env: OTHER_KEY
              ca_file: pebble.pem
              scan_interval: 30
              retry_initial: 5
              retry_max: 600
            """, environment: Self.environment.merging(["OTHER_KEY": Self.key]) { $1 }, base: Self.withHTTPS).acme)
        #expect(acme.directoryURL == ACMEConfig.presets["letsencrypt-staging"])
        #expect(acme.email == "ops@platform.example")
        #expect(acme.challenge == .tlsALPN01)
        #expect(acme.dnsCheck == ACMEConfig.DNSCheck(addresses: ["203.0.113.10", "2001:db8::10"],
                                                     nameserver: SocketAddressSpec(host: "127.0.0.1", port: 8053)))
        #expect(acme.renewBefore == 0.25)
        #expect(acme.encryptionKeyEnv == "OTHER_KEY")
        #expect(acme.caFile == "/etc/tenant-edge/pebble.pem")
        #expect(acme.scanInterval == 30 && acme.retryInitial == 5 && acme.retryMax == 600)
    }

    @Test func dnsCheckWithoutNameserverUsesTheSystemResolver() throws {
        let acme = try #require(try load("acme: { enabled: true, dns_check: { addresses: [198.51.100.7] } }").acme)
        #expect(acme.dnsCheck == ACMEConfig.DNSCheck(addresses: ["198.51.100.7"], nameserver: nil))
    }

    @Test func badValuesAreNamedWithTheirLine() {
        #expect(problems("acme:\n  enabled: true\n  challenge: dns-01\n")
            == ["11 acme.challenge: expected one of http-01, tls-alpn-01, not 'dns-01'"])
        #expect(problems("acme:\n  enabled: true\n  directory_url: ftp://ca.example\n")
            == ["11 acme.directory_url: expected letsencrypt, letsencrypt-staging or an https:// URL, not 'ftp://ca.example'"])
        #expect(problems("acme:\n  renew_before: 1.0\n") == ["10 acme.renew_before: must be between 0 and 1 (exclusive)"])
        #expect(problems("acme:\n  retry_initial: 60\n  retry_max: 10\n")
            == ["11 acme.retry_max: must not be less than retry_initial (60.0 s)"])
        #expect(problems("acme:\n  enabled: true\n  dns_check_typo: {}\n").first?.hasPrefix("11 acme.dns_check_typo: unknown key") == true)
    }

    @Test func badDNSCheckValuesAreNamedWithTheirLine() {
        #expect(problems("acme:\n  dns_check:\n    addresses: [10.0.0.1, proxy.example]\n")
            == ["11 acme.dns_check.addresses[1]: 'proxy.example' is not an IP address (list the addresses the proxy is reached at)"])
        #expect(problems("acme:\n  dns_check:\n    addresses: []\n") == ["11 acme.dns_check.addresses: needs at least one address"])
        #expect(problems("acme:\n  dns_check:\n    nameserver: 127.0.0.1:53\n") == ["11 acme.dns_check.addresses: required key is missing"])
        #expect(problems("acme:\n  dns_check:\n    addresses: [10.0.0.1]\n    nameserver: 127.0.0.1\n")
            == ["12 acme.dns_check.nameserver: '127.0.0.1' is not host:port (for example 127.0.0.1:8080)"])
        #expect(problems("acme:\n  dns_check:\n    addresses: [10.0.0.1]\n    nameserver: \"[::1]:53\"\n")
            == ["12 acme.dns_check.nameserver: '::1' must be an IPv4 address, as 127.0.0.1:53"])
        #expect(problems("acme:\n  dns_check:\n    addresses: [10.0.0.1]\n    nameserver: ns.example:53\n")
            == ["12 acme.dns_check.nameserver: 'ns.example' must be an IPv4 address, as 127.0.0.1:53"])
        #expect(problems("acme:\n  dns_check: [10.0.0.1]\n").first?.hasPrefix("10 acme.dns_check: expected a mapping") == true)
    }

    @Test func theChallengeNeedsItsListener() {
        #expect(problems("acme: { enabled: true, challenge: tls-alpn-01 }")
            == ["9 acme: tls-alpn-01 needs an https listener (the CA connects to port 443)"])
        #expect(problems("acme: { enabled: true }", base: Self.withHTTPS)
            == ["10 acme: http-01 needs a plain http listener (the CA connects to port 80)"])
        #expect((try? load("acme: { enabled: true, challenge: tls-alpn-01 }", base: Self.withHTTPS)) != nil)
    }

    @Test func theEncryptionKeyIsCheckedOnlyWhenEnabled() {
        var environment = Self.environment
        environment["ENCRYPTION_KEY"] = Data(repeating: 1, count: 16).base64EncodedString()
        #expect(problems("acme:\n  enabled: true\n", environment: environment)
            == ["10 acme.encryption_key_env: environment variable ENCRYPTION_KEY must hold exactly 32 bytes in base64 (openssl rand -base64 32)"])
        #expect((try? load("acme:\n  enabled: false\n", environment: environment)) != nil)
    }
}
