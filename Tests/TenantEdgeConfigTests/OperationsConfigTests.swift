import Testing
import TenantEdgeCore
@testable import TenantEdgeConfig

/// The keys issue 5 added: admin token, trusted proxies, shutdown, limits, health path, logs.
struct OperationsConfigTests {
    static let environment = ConfigLoaderTests.environment

    private func load(_ extra: String, environment: [String: String] = environment) throws(ConfigError) -> EdgeConfig {
        try ConfigLoader.load(yaml: ConfigLoaderTests.minimal + "\n" + extra, file: "test.yaml",
                              configDirectory: "/etc/tenant-edge", environment: environment)
    }

    /// `line keyPath: message` of every problem of a config that must fail.
    private func problems(_ extra: String, environment: [String: String] = environment) -> [String] {
        do {
            _ = try load(extra, environment: environment)
            Issue.record("expected the config to be rejected")
            return []
        } catch {
            return error.problems.map { "\($0.line ?? 0) \($0.keyPath): \($0.message)" }
        }
    }

    @Test func defaults() throws {
        let config = try load("workers: 4\n")
        #expect(config.adminToken == nil)
        #expect(config.trustedProxies.isEmpty)
        #expect(config.shutdownTimeout == 30)
        #expect(config.limits == LimitsConfig(maxConnections: 100_000, maxConnectionsPerWorker: nil))
        #expect(config.limits.perWorker(workers: 4) == 25_000)
        #expect(config.limits.perWorker(workers: 3) == 33_334)
        #expect(config.healthPath == nil)
        #expect(config.accessLog == AccessLogConfig(enabled: true, destination: .stdout, sample: 1.0))
        #expect(config.log == LogConfig(level: .info, format: .json))
        #expect(config.routing.redirectHTTPToHTTPS == false)
    }

    @Test func everyKeyIsRead() throws {
        let config = try load("""
            admin: "127.0.0.1:9901"
            admin_token_env: TENANT_EDGE_ADMIN_TOKEN
            trusted_proxies: ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"]
            shutdown_timeout: 12.5
            limits: { max_connections: 2000, max_connections_per_worker: 600, max_active_requests_per_worker: 300, max_memory_mib: 1024 }
            health_path: /__health
            access_log: { enabled: false, path: logs/access.log, sample: 0.25 }
            log: { level: debug, format: text }
            routing: { redirect_http_to_https: true }
            """)
        #expect(config.adminToken?.value == "admin-token-0123456789")
        #expect(config.trustedProxies.contains(ClientAddress(ipv4: 0x0A01_0203, port: 1)))
        #expect(config.trustedProxies.contains(ClientAddress(ipv4: 0xC000_0207, port: 1)))
        #expect(!config.trustedProxies.contains(ClientAddress(ipv4: 0xC000_0208, port: 1)))
        #expect(config.trustedProxies.ranges.count == 3)
        #expect(config.shutdownTimeout == 12.5)
        #expect(config.limits == LimitsConfig(maxConnections: 2000, maxConnectionsPerWorker: 600,
                                              maxActiveRequestsPerWorker: 300, maxMemoryMiB: 1024))
        #expect(config.limits.perWorker(workers: 8) == 600)
        #expect(config.healthPath == "/__health")
        #expect(config.accessLog == AccessLogConfig(enabled: false, destination: .file("/etc/tenant-edge/logs/access.log"), sample: 0.25))
        #expect(config.log == LogConfig(level: .debug, format: .text))
        #expect(config.routing.redirectHTTPToHTTPS)
        #expect(try load("access_log: { path: /var/log/edge.log, sample: 0 }\n").accessLog.destination == .file("/var/log/edge.log"))
        #expect(try load("access_log: { sample: 1 }\n").accessLog.sample == 1)
    }

    @Test func problemsNameKeyAndLine() {
        // The minimal config is 8 lines; the extra text starts at line 9.
        let found = problems("""
            admin_token_env: NOT_SET_ANYWHERE
            trusted_proxies: ["10.0.0.0/8", "10.1.0.0/8", "nonsense", 5]
            shutdown_timeout: 0
            limits: { max_connections: 0, max_connections_per_worker: x, max_conns: 1, max_active_requests_per_worker: 0, max_memory_mib: 8 }
            health_path: "health"
            access_log: { enabled: maybe, path: "", sample: 1.5 }
            log: { level: loud, format: xml }
            routing: { redirect_http_to_https: "yes" }
            """)
        #expect(found == [
            "9 admin_token_env: environment variable NOT_SET_ANYWHERE is not set",
            "9 admin_token_env: has no effect without an admin listener (admin)",
            "10 trusted_proxies[1]: '10.1.0.0/8' has address bits set beyond the /8 prefix; did you mean 10.0.0.0/8?",
            "10 trusted_proxies[2]: 'nonsense' is not an IPv4 or IPv6 address or CIDR range (for example 10.0.0.0/8 or ::1/128)",
            "10 trusted_proxies[3]: '5' is not an IPv4 or IPv6 address or CIDR range (for example 10.0.0.0/8 or ::1/128)",
            "11 shutdown_timeout: must be greater than 0",
            "12 limits.max_conns: unknown key 'max_conns' (expected one of: max_connections, max_connections_per_worker, max_active_requests_per_worker, max_memory_mib)",
            "12 limits.max_connections: must be at least 1",
            "12 limits.max_connections_per_worker: expected a whole number",
            "12 limits.max_active_requests_per_worker: must be at least 1",
            "12 limits.max_memory_mib: must be at least 16 (MiB)",
            "13 health_path: 'health' must be an absolute path such as /__health (no query, fragment or spaces, at most 256 bytes)",
            "14 access_log.enabled: expected true or false",
            "14 access_log.path: must not be empty",
            "14 access_log.sample: must be from 0.0 to 1.0",
            "15 log.level: expected one of trace, debug, info, notice, warning, error, critical, not 'loud'",
            "15 log.format: expected one of json, text, not 'xml'",
            "16 routing.redirect_http_to_https: expected true or false",
        ])
    }

    @Test func perWorkerLimitAboveTheOverallLimitIsRefused() {
        #expect(problems("limits: { max_connections: 10, max_connections_per_worker: 11 }\n") == [
            "9 limits.max_connections_per_worker: 11 is more than max_connections (10)",
        ])
    }

    @Test func adminTokenMustBeABearerToken() {
        var environment = Self.environment
        environment["TENANT_EDGE_ADMIN_TOKEN"] = "has spaces in it"
        let found = problems("admin: \"127.0.0.1:9901\"\nadmin_token_env: TENANT_EDGE_ADMIN_TOKEN\n", environment: environment)
        #expect(found == ["10 admin_token_env: the token in TENANT_EDGE_ADMIN_TOKEN must be letters, digits and -._~+/= only (RFC 6750 bearer token)"])
        #expect(!found[0].contains("has spaces"))
    }

    @Test func healthPathRefusesQueriesAndSpaces() {
        for path in ["\"/a b\"", "\"/health?x=1\"", "\"/h#f\""] {
            #expect(problems("health_path: \(path)\n").count == 1)
        }
    }

    @Test func adminTokenIsNotPrinted() throws {
        let config = try load("admin: \"127.0.0.1:9901\"\nadmin_token_env: TENANT_EDGE_ADMIN_TOKEN\n")
        var dumped = ""
        dump(config, to: &dumped)
        for text in ["\(config)", String(reflecting: config), dumped] {
            #expect(!text.contains("admin-token-0123456789"))
        }
    }
}
