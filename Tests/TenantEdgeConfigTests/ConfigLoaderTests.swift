import Foundation
import Testing
@testable import TenantEdgeConfig

struct ConfigLoaderTests {
    static let secret = String(repeating: "s", count: 40)
    static let environment = [
        "MASTER_DB_URL": "postgresql://edge:pw@db.internal:5432/platform?sslmode=require",
        "TENANT_CONTEXT_SECRET": secret,
        "TENANT_EDGE_ADMIN_TOKEN": "admin-token-0123456789",
    ]
    static let exampleFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("config/tenant-edge.example.yaml").path

    /// A small valid config; tests replace or append lines to break one thing at a time.
    static let minimal = """
        listen:
          - { address: "0.0.0.0:8080" }
        upstreams:
          default: { servers: ["127.0.0.1:3000"] }
        tenant_context:
          sign_with: k1
          keys:
            - { kid: k1, alg: HS256, secret_env: TENANT_CONTEXT_SECRET }
        """

    private func load(_ yaml: String, environment: [String: String] = environment) throws(ConfigError) -> EdgeConfig {
        try ConfigLoader.load(yaml: yaml, file: "test.yaml", configDirectory: "/etc/tenant-edge", environment: environment)
    }

    /// The problems of a config that must fail.
    private func problems(_ yaml: String, environment: [String: String] = environment) -> [ConfigProblem] {
        do {
            _ = try load(yaml, environment: environment)
            Issue.record("expected the config to be rejected")
            return []
        } catch {
            return error.problems
        }
    }

    @Test func exampleConfigLoadsWithEveryKey() throws {
        let config = try ConfigLoader.load(path: Self.exampleFile, environment: Self.environment)
        let directory = URL(fileURLWithPath: Self.exampleFile).deletingLastPathComponent().path
        #expect(config.listeners == [
            ListenerConfig(address: SocketAddressSpec(host: "0.0.0.0", port: 8080), protocol: .http),
            ListenerConfig(address: SocketAddressSpec(host: "0.0.0.0", port: 8443), protocol: .https),
            ListenerConfig(address: SocketAddressSpec(host: "0.0.0.0", port: 8081), protocol: .http, proxyProtocol: true),
        ])
        #expect(config.admin == SocketAddressSpec(host: "127.0.0.1", port: 9901))
        #expect(config.workers == ProcessInfo.processInfo.activeProcessorCount)
        #expect(config.acme?.enabled == false)
        #expect(config.acme?.dnsCheck == ACMEConfig.DNSCheck(addresses: ["203.0.113.10", "2001:db8::10"]))
        #expect(config.masterDB.urlEnv == "MASTER_DB_URL")
        #expect(config.masterDBURL == Self.environment["MASTER_DB_URL"])
        #expect(config.masterDB.snapshotPath == "/var/lib/tenant-edge/routes.json")
        #expect(config.routing == RoutingConfig(platformDomains: ["platform.example"],
                                                passthroughHosts: ["api.platform.example": "api"],
                                                retryAfterSeconds: 30))
        #expect(config.upstreams["api"] == UpstreamConfig(servers: [SocketAddressSpec(host: "127.0.0.1", port: 3001)]))
        #expect(config.tls?.defaultCertificate == CertificatePair(certificatePath: directory + "/certs/default.pem",
                                                                 keyPath: directory + "/certs/default.key"))
        #expect(config.tls?.certificatesDirectory == directory + "/certs/hosts")
        #expect(config.tls?.sessionTicketRotation == 43200)
        #expect(config.tenantContext.issuer == "tenant-edge")
        #expect(config.tenantContext.audience == "tenant-backend")
        #expect(config.tenantContext.ttlSeconds == 60)
        #expect(config.tenantContext.signingKey.secret == Array(Self.secret.utf8))
        #expect(config.tenantContext.signingKey.makeSigningKey().kid == "k1")
        #expect(config.timeouts == TimeoutConfig())
        #expect(config.pagesDirectory == directory + "/pages")
        #expect(config.configDirectory == directory)
        #expect(config.adminToken == AdminToken(environmentVariable: "TENANT_EDGE_ADMIN_TOKEN", value: "admin-token-0123456789"))
        #expect(config.routing.redirectHTTPToHTTPS == false)
        #expect(config.trustedProxies.ranges.map(\.description) == ["10.0.0.0/8", "::1/128"])
        #expect(config.shutdownTimeout == 30)
        #expect(config.limits == LimitsConfig(maxConnections: 100_000, maxConnectionsPerWorker: 50_000))
        #expect(config.healthPath == "/__health")
        #expect(config.accessLog == AccessLogConfig(enabled: true, destination: .stdout, sample: 1.0))
        #expect(config.log == LogConfig(level: .info, format: .json))
    }

    @Test func defaultsApplyToAMinimalConfig() throws {
        let config = try load(Self.minimal + "\nworkers: 3\ntimeouts: { upstream_connect: 0.5 }\n")
        #expect(config.workers == 3)
        #expect(config.admin == nil)
        #expect(config.tls == nil)
        #expect(config.listeners[0].protocol == .http)
        #expect(config.routing == RoutingConfig())
        #expect(config.timeouts.upstreamConnect == 0.5)
        #expect(config.timeouts.clientHeader == 10)
        #expect(config.masterDB.snapshotPath == nil)
    }

    @Test func everyProblemIsReportedAtOnceWithKeyPathAndLine() {
        let yaml = """
            listen:
              - { address: "0.0.0.0:70000", protocol: ftp }
              - { address: "::1:80" }
            admin: "localhost"
            workers: 0
            routing:
              platform_domains: ["bad_domain!"]
              passthrough_hosts: { "api.example": missing }
              retry_after_seconds: 0
            upstreams:
              default: { servers: [] }
              api: { servers: ["10.0.0.1:x"] }
            tenant_context:
              ttl_seconds: -1
              sign_with: k2
              keys:
                - { kid: k1, alg: RS256, secret_env: TENANT_CONTEXT_SECRET }
            timeouts: { body_idle: 0 }
            """
        let found = problems(yaml).map { "\($0.line ?? 0) \($0.keyPath)" }
        #expect(found == [
            "2 listen[0].address",
            "2 listen[0].protocol",
            "3 listen[1].address",
            "4 admin",
            "5 workers",
            "7 routing.platform_domains[0]",
            "8 routing.passthrough_hosts[\"api.example\"]",
            "9 routing.retry_after_seconds",
            "11 upstreams.default.servers",
            "12 upstreams.api.servers[0]",
            "14 tenant_context.ttl_seconds",
            "15 tenant_context.sign_with",
            "17 tenant_context.keys[0].alg",
            "18 timeouts.body_idle",
        ])
    }

    @Test func messagesSayWhatIsWrong() throws {
        let yaml = Self.minimal.replacingOccurrences(of: "sign_with: k1", with: "sign_with: k9")
        let problem = try #require(problems(yaml).first)
        #expect(problem.description == "6: tenant_context.sign_with: no key has kid 'k9'")
        let error = ConfigError(file: "edge.yaml", problems: [problem])
        #expect(error.description == "edge.yaml:6: tenant_context.sign_with: no key has kid 'k9'")
    }

    @Test func unknownKeysAreErrorsWithTheirLine() {
        let yaml = Self.minimal + "\nupstream_timeout: 5\nrouting:\n  platform_domain: [x.example]\n"
        let found = problems(yaml)
        #expect(found.map(\.keyPath) == ["upstream_timeout", "routing.platform_domain"])
        #expect(found.map(\.line) == [9, 11])
        #expect(found[0].message.hasPrefix("unknown key 'upstream_timeout'"))
    }

    @Test func missingRequiredSectionsAreNamed() {
        let found = problems("workers: 2\n")
        #expect(Set(found.map(\.keyPath)) == ["listen", "upstreams", "tenant_context"])
        let noDefault = Self.minimal.replacingOccurrences(of: "default:", with: "other:")
        #expect(problems(noDefault).map(\.keyPath) == ["upstreams.default"])
        let httpsWithoutTLS = Self.minimal.replacingOccurrences(of: "\"0.0.0.0:8080\" }", with: "\"0.0.0.0:8443\", protocol: https }")
        #expect(problems(httpsWithoutTLS).map(\.keyPath) == ["tls"])
    }

    @Test func sessionTicketRotationDefaultsToTwelveHoursAndMustBePositive() throws {
        let unset = try load(Self.minimal + "\ntls: { certificates_dir: certs }\n")
        #expect(unset.tls?.sessionTicketRotation == 43_200.0)
        let set = try load(Self.minimal + "\ntls: { session_ticket_rotation: 1.5 }\n")
        #expect(set.tls?.sessionTicketRotation == 1.5)
        for bad in ["0", "-3", "soon"] {
            let found = problems(Self.minimal + "\ntls: { session_ticket_rotation: \(bad) }\n")
            #expect(found.map(\.keyPath) == ["tls.session_ticket_rotation"])
        }
    }

    @Test func missingEnvironmentVariablesAreNamedButValuesNeverShown() {
        let found = problems(Self.minimal, environment: [:])
        #expect(found.map(\.message) == [
            "environment variable MASTER_DB_URL is not set",
            "environment variable TENANT_CONTEXT_SECRET is not set",
        ])
        let custom = Self.minimal + "\nmaster_db: { url_env: EDGE_DB }\n"
        let empty = ["EDGE_DB": "", "TENANT_CONTEXT_SECRET": Self.secret]
        let emptyProblem = problems(custom, environment: empty)
        #expect(emptyProblem.map(\.message) == ["environment variable EDGE_DB is empty"])
        #expect(emptyProblem.map(\.line) == [9])

        let short = ["MASTER_DB_URL": "host=x", "TENANT_CONTEXT_SECRET": "tooshort"]
        let shortProblem = problems(Self.minimal, environment: short)
        #expect(shortProblem.map(\.keyPath) == ["tenant_context.keys[0].secret_env"])
        #expect(!shortProblem[0].message.contains("tooshort"))
    }

    @Test func secretsAreNotPrinted() throws {
        let config = try load(Self.minimal)
        let printed = "\(config) \(String(reflecting: config))"
        var dumped = ""
        dump(config, to: &dumped)
        for text in [printed, dumped] {
            #expect(!text.contains(Self.secret))
            #expect(!text.contains(":pw@"))
        }
    }

    @Test func yamlSyntaxErrorIsOneProblemWithItsLine() {
        let found = problems("listen:\n  - { address: \"0.0.0.0:8080\"\nworkers: 2\n")
        #expect(found.count == 1)
        #expect(found.first?.line == 3)
        #expect(found.first?.message.hasPrefix("YAML syntax error: ") == true)

        let duplicate = problems(Self.minimal + "\nworkers: 1\nworkers: 2\n")
        #expect(duplicate.count == 1)
        #expect(duplicate.first?.message == "duplicate key 'workers' in one mapping")
    }

    @Test func unreadableOrEmptyFileIsOneProblem() {
        #expect(throws: ConfigError.self) { try ConfigLoader.load(path: "/nonexistent/edge.yaml") }
        do {
            _ = try ConfigLoader.load(path: "/nonexistent/edge.yaml")
        } catch {
            #expect(error.description == "/nonexistent/edge.yaml: cannot read file: No such file or directory")
        }
        #expect(problems("# only a comment\n").map(\.message) == ["the file is empty"])
    }
}
