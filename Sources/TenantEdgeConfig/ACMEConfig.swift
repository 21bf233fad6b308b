import Foundation
import Yams
#if canImport(Glibc)
import Glibc
#endif

/// `acme:`: certificates on demand for stores' own domains (issue 9). Keys:
/// - `enabled` (false): nothing below runs unless true;
/// - `directory_url`: `letsencrypt`, `letsencrypt-staging`, or the URL of any RFC 8555 directory;
/// - `email`: the account's contact (the CA's expiry notices go there), optional;
/// - `challenge` (`http-01`): or `tls-alpn-01` (RFC 8737), answered on the https listeners;
/// - `dns_check`: `{ addresses: [IP, ...], nameserver: "IPv4:port" }`; when set, a name is only
///   ordered if one of its A/AAAA records is one of `addresses` (where the proxy is reached,
///   such as the load balancer's), asked of `nameserver` or else the system resolver;
/// - `renew_before` (0.333): renew when this fraction of the lifetime is left;
/// - `encryption_key_env` (`ENCRYPTION_KEY`): the variable holding the 32-byte base64 key the
///   private keys are sealed with in the master DB;
/// - `ca_file`: PEM bundle to trust for the directory instead of the system's (a private or
///   test CA such as pebble);
/// - `scan_interval` (300 s): how often eligible names are checked for issuance and renewal
///   (a route map change checks at once);
/// - `retry_initial` (60 s), `retry_max` (86400 s): the per-name backoff after a failure.
public struct ACMEConfig: Sendable, Equatable {
    public enum Challenge: String, Sendable, CaseIterable {
        case http01 = "http-01"
        case tlsALPN01 = "tls-alpn-01"
    }

    /// `acme.dns_check`: off (nil) unless configured.
    public struct DNSCheck: Sendable, Equatable {
        /// IP literals as written (validated).
        public var addresses: [String]
        public var nameserver: SocketAddressSpec?

        public init(addresses: [String], nameserver: SocketAddressSpec? = nil) {
            self.addresses = addresses
            self.nameserver = nameserver
        }
    }

    public static let presets = [
        "letsencrypt": "https://acme-v02.api.letsencrypt.org/directory",
        "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
    ]

    public var enabled = false
    public var directoryURL = presets["letsencrypt"]!
    public var email: String?
    public var challenge = Challenge.http01
    public var renewBefore = 1.0 / 3.0
    public var encryptionKeyEnv = "ENCRYPTION_KEY"
    /// The variable's value (a secret: never logged).
    public var encryptionKey = ""
    public var caFile: String?
    public var scanInterval: Double = 300
    public var retryInitial: Double = 60
    public var retryMax: Double = 86_400
    public var dnsCheck: DNSCheck?

    public init() {}

    static let keys = ["enabled", "directory_url", "email", "challenge", "dns_check", "renew_before", "encryption_key_env",
                       "ca_file", "scan_interval", "retry_initial", "retry_max"]
}

extension ACMEConfig {
    static func read(_ node: Node, at path: String, _ reader: ConfigReader) -> ACMEConfig? {
        guard let map = reader.mapping(node, at: path, keys: keys) else { return nil }
        var config = ACMEConfig()
        var valid = true
        func take<T>(_ key: String, _ read: (Node, String) -> T?, _ apply: (T) -> Void) {
            guard let value = map[key] else { return }
            if let parsed = read(value, map.path(key)) { apply(parsed) } else { valid = false }
        }
        take("enabled", reader.bool) { config.enabled = $0 }
        take("directory_url", reader.string) { text in
            if let preset = presets[text] {
                config.directoryURL = preset
            } else if text.hasPrefix("https://") || text.hasPrefix("http://") {
                config.directoryURL = text
            } else {
                reader.report(map.path("directory_url"), map["directory_url"],
                              "expected letsencrypt, letsencrypt-staging or an https:// URL, not '\(text)'")
                valid = false
            }
        }
        take("email", reader.string) { config.email = $0 }
        take("challenge", { reader.choice($0, at: $1, Challenge.self) }) { config.challenge = $0 }
        take("renew_before", reader.fraction) { value in
            if value > 0 && value < 1 {
                config.renewBefore = value
            } else {
                reader.report(map.path("renew_before"), map["renew_before"], "must be between 0 and 1 (exclusive)")
                valid = false
            }
        }
        take("encryption_key_env", reader.string) { config.encryptionKeyEnv = $0 }
        take("ca_file", reader.filePath) { config.caFile = $0 }
        take("scan_interval", reader.seconds) { config.scanInterval = $0 }
        take("retry_initial", reader.seconds) { config.retryInitial = $0 }
        take("retry_max", reader.seconds) { config.retryMax = $0 }
        take("dns_check", { readDNSCheck($0, at: $1, reader) }) { config.dnsCheck = $0 }
        if config.retryMax < config.retryInitial, let node = map["retry_max"] {
            reader.report(map.path("retry_max"), node, "must not be less than retry_initial (\(config.retryInitial) s)")
            valid = false
        }
        guard valid else { return nil }
        if config.enabled {
            // Checked here so a wrong key stops `check-config` and start-up with the variable
            // named, instead of failing at the first certificate.
            let name = config.encryptionKeyEnv
            let line = map.keyNode("encryption_key_env")?.mark?.line ?? map.line
            guard let value = reader.secret(nameNode: map.keyNode("encryption_key_env"), name: name, at: map.path("encryption_key_env"), line: line) else {
                return nil
            }
            guard let bytes = Data(base64Encoded: value.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count == 32 else {
                reader.report(map.path("encryption_key_env"), line: line,
                              "environment variable \(name) must hold exactly 32 bytes in base64 (openssl rand -base64 32)")
                return nil
            }
            config.encryptionKey = value
        }
        return config
    }
}

extension ACMEConfig {
    /// `dns_check: { addresses: [...], nameserver: "IPv4:port" }`: every address an IP
    /// literal (a name here would need DNS to check DNS), at least one; the nameserver an IPv4
    /// address with its port (libresolv's override takes IPv4 servers).
    static func readDNSCheck(_ node: Node, at path: String, _ reader: ConfigReader) -> DNSCheck? {
        guard let map = reader.mapping(node, at: path, keys: ["addresses", "nameserver"]) else { return nil }
        guard let listNode = map.require("addresses", reader), let items = reader.list(listNode, at: map.path("addresses")) else {
            return nil
        }
        var valid = true
        var addresses: [String] = []
        for (index, item) in items.enumerated() {
            let itemPath = "\(map.path("addresses"))[\(index)]"
            guard let text = reader.string(item, at: itemPath) else { valid = false; continue }
            if isIPLiteral(text, family: AF_INET) || isIPLiteral(text, family: AF_INET6) {
                addresses.append(text)
            } else {
                reader.report(itemPath, item, "'\(text)' is not an IP address (list the addresses the proxy is reached at)")
                valid = false
            }
        }
        if items.isEmpty {
            reader.report(map.path("addresses"), listNode, "needs at least one address")
            valid = false
        }
        var nameserver: SocketAddressSpec?
        if let serverNode = map["nameserver"] {
            if let spec = reader.address(serverNode, at: map.path("nameserver")) {
                if isIPLiteral(spec.host, family: AF_INET) {
                    nameserver = spec
                } else {
                    reader.report(map.path("nameserver"), serverNode, "'\(spec.host)' must be an IPv4 address, as 127.0.0.1:53")
                    valid = false
                }
            } else {
                valid = false
            }
        }
        return valid ? DNSCheck(addresses: addresses, nameserver: nameserver) : nil
    }

    private static func isIPLiteral(_ text: String, family: Int32) -> Bool {
        var storage = in6_addr()
        return inet_pton(family, text, &storage) == 1
    }
}
