import Foundation
import TenantEdgeCore
import Yams

/// The whole proxy configuration, typed and validated; secrets already read from the environment.
///
/// Keys of the YAML file (DESIGN.md section 8; unknown keys are errors):
/// - `listen`: list of `{address, protocol: http|https, proxy_protocol}`; at least one
/// - `admin`: `host:port` of the admin listener (optional)
/// - `workers`: `auto` (one per processor, the default) or a number >= 1
/// - `master_db`: `{url_env (MASTER_DB_URL), snapshot_path}`
/// - `admin_token_env`: variable holding the admin listener's bearer token (optional)
/// - `routing`: `{platform_domains, passthrough_hosts: {host: upstream}, retry_after_seconds (30),
///   redirect_http_to_https (false)}`
/// - `upstreams`: `{name: {servers: [host:port, ...]}}`; `default` required
/// - `tls`: `{default_certificate: {cert, key}, certificates_dir, session_ticket_rotation}`
/// - `tenant_context`: `{issuer, audience, ttl_seconds, sign_with, keys: [{kid, alg, secret_env}]}`
/// - `timeouts`: `{client_header, client_keepalive, upstream_connect, upstream_header, body_idle}` seconds
/// - `pages_dir`: folder of error page templates (optional)
/// - `trusted_proxies`: CIDR list whose X-Forwarded-* and X-Request-Id are kept (default none)
/// - `shutdown_timeout`: seconds in-flight requests get after SIGTERM (30)
/// - `limits`: `{max_connections (100000), max_connections_per_worker (an equal share),
///   max_active_requests_per_worker (none), max_memory_mib (none)}`
/// - `health_path`: path answered 200 on the traffic port (optional)
/// - `access_log`: `{enabled (true), path: stdout|FILE (stdout), sample: 0.0-1.0 (1.0)}`
/// - `log`: `{level: trace|debug|info|notice|warning|error|critical (info), format: json|text (json)}`
/// - `acme`: certificates on demand (`ACMEConfig` lists its keys)
public struct EdgeConfig: Sendable, Equatable {
    public var listeners: [ListenerConfig]
    public var admin: SocketAddressSpec?
    /// Number of event-loop threads.
    public var workers: Int
    public var masterDB: MasterDBConfig
    public var routing: RoutingConfig
    public var upstreams: [String: UpstreamConfig]
    public var tls: TLSConfig?
    public var tenantContext: TenantContextConfig
    public var timeouts: TimeoutConfig
    /// Absolute folder of error page templates, if configured.
    public var pagesDirectory: String?
    /// Absolute folder of the config file, against which relative paths were resolved.
    public var configDirectory: String
    /// Bearer token the admin listener requires; nil leaves it open (it is on loopback).
    public var adminToken: AdminToken?
    /// Peers whose X-Forwarded-For, X-Forwarded-Proto and X-Request-Id are kept.
    public var trustedProxies: TrustedProxies
    /// Seconds in-flight requests get to finish after SIGTERM.
    public var shutdownTimeout: Double
    public var limits: LimitsConfig
    /// Path answered 200 on the traffic port, for load balancer probes; nil disables it.
    public var healthPath: String?
    public var accessLog: AccessLogConfig
    public var log: LogConfig
    /// Certificates on demand; nil when the section is absent.
    public var acme: ACMEConfig?

    public init(listeners: [ListenerConfig], admin: SocketAddressSpec? = nil, workers: Int,
                masterDB: MasterDBConfig, routing: RoutingConfig = RoutingConfig(),
                upstreams: [String: UpstreamConfig], tls: TLSConfig? = nil,
                tenantContext: TenantContextConfig, timeouts: TimeoutConfig = TimeoutConfig(),
                pagesDirectory: String? = nil, configDirectory: String, adminToken: AdminToken? = nil,
                trustedProxies: TrustedProxies = TrustedProxies(), shutdownTimeout: Double = 30,
                limits: LimitsConfig = LimitsConfig(), healthPath: String? = nil,
                accessLog: AccessLogConfig = AccessLogConfig(), log: LogConfig = LogConfig(),
                acme: ACMEConfig? = nil) {
        self.listeners = listeners
        self.admin = admin
        self.workers = workers
        self.masterDB = masterDB
        self.routing = routing
        self.upstreams = upstreams
        self.tls = tls
        self.tenantContext = tenantContext
        self.timeouts = timeouts
        self.pagesDirectory = pagesDirectory
        self.configDirectory = configDirectory
        self.adminToken = adminToken
        self.trustedProxies = trustedProxies
        self.shutdownTimeout = shutdownTimeout
        self.limits = limits
        self.healthPath = healthPath
        self.accessLog = accessLog
        self.log = log
        self.acme = acme
    }

    /// The master database connection string (secret; from the `master_db.url_env` variable).
    public var masterDBURL: String { masterDB.url }

    /// The connection string with its password masked, for logs and error messages.
    public var redactedMasterDBURL: String { DatabaseURLRedactor.redact(masterDB.url) }

    static let keys = ["listen", "admin", "workers", "master_db", "routing", "upstreams", "tls",
                       "tenant_context", "timeouts", "pages_dir", "admin_token_env", "trusted_proxies",
                       "shutdown_timeout", "limits", "health_path", "access_log", "log", "acme"]
}

extension EdgeConfig {
    static func read(_ root: Node, configDirectory: String, _ reader: ConfigReader) -> EdgeConfig? {
        guard let map = reader.mapping(root, at: "", keys: keys) else { return nil }
        var valid = true

        var listeners: [ListenerConfig] = []
        if let node = map.require("listen", reader), let items = reader.list(node, at: "listen") {
            if items.isEmpty {
                reader.report("listen", node, "needs at least one listener")
                valid = false
            }
            for (index, item) in items.enumerated() {
                if let listener = ListenerConfig.read(item, at: "listen[\(index)]", reader) {
                    listeners.append(listener)
                } else {
                    valid = false
                }
            }
        } else {
            valid = false
        }

        let admin = map["admin"].flatMap { reader.address($0, at: "admin") }
        let workers = readWorkers(map["workers"], reader)
        let masterDB = MasterDBConfig.read(map["master_db"], at: "master_db", line: map.line, reader)
        let upstreams = UpstreamConfig.readAll(map["upstreams"], at: "upstreams", line: map.line, reader)
        let upstreamNames = map["upstreams"]?.mapping.map { Set($0.keys.compactMap { $0.scalar?.string }) }
        let routing = RoutingConfig.read(map["routing"], at: "routing", upstreamNames: upstreamNames, reader)
        let tls = map["tls"].flatMap { TLSConfig.read($0, at: "tls", reader) }
        let tenantContext = TenantContextConfig.read(map["tenant_context"], at: "tenant_context", line: map.line, reader)
        let timeouts = TimeoutConfig.read(map["timeouts"], at: "timeouts", reader)
        let pagesDirectory = map["pages_dir"].flatMap { reader.filePath($0, at: "pages_dir") }
        let adminToken = map["admin_token_env"].flatMap { AdminToken.read($0, at: "admin_token_env", reader) }
        let trustedProxies = readTrustedProxies(map["trusted_proxies"], reader)
        let shutdownTimeout = readShutdownTimeout(map["shutdown_timeout"], reader)
        let limits = LimitsConfig.read(map["limits"], at: "limits", reader)
        let healthPath = readHealthPath(map["health_path"], reader)
        let accessLog = AccessLogConfig.read(map["access_log"], at: "access_log", reader)
        let log = LogConfig.read(map["log"], at: "log", reader)
        let acme = map["acme"].flatMap { ACMEConfig.read($0, at: "acme", reader) }
        if map["acme"] != nil && acme == nil { valid = false }
        if let acme, acme.enabled {
            // Where the CA validates: port 80 for http-01, port 443 for tls-alpn-01.
            let needed: ListenerProtocol = acme.challenge == .http01 ? .http : .https
            if !listeners.contains(where: { $0.protocol == needed }) {
                reader.report("acme", map.keyNode("acme"), acme.challenge == .http01
                    ? "http-01 needs a plain http listener (the CA connects to port 80)"
                    : "tls-alpn-01 needs an https listener (the CA connects to port 443)")
                valid = false
            }
        }
        // An optional key that is present but invalid has already been reported.
        if (map["admin"] != nil && admin == nil) || (map["tls"] != nil && tls == nil)
            || (map["pages_dir"] != nil && pagesDirectory == nil)
            || (map["admin_token_env"] != nil && adminToken == nil) || !healthPath.valid {
            valid = false
        }
        if map["admin_token_env"] != nil, map["admin"] == nil {
            reader.report("admin_token_env", map.keyNode("admin_token_env"), "has no effect without an admin listener (admin)")
            valid = false
        }
        if listeners.contains(where: { $0.protocol == .https }), map["tls"] == nil {
            reader.report("tls", line: map.line, "an https listener needs the tls section")
            valid = false
        }

        guard valid, let workers, let masterDB, let upstreams, let routing, let tenantContext, let timeouts,
              let trustedProxies, let shutdownTimeout, let limits, let accessLog, let log
        else {
            return nil
        }
        return EdgeConfig(listeners: listeners, admin: admin, workers: workers, masterDB: masterDB,
                          routing: routing, upstreams: upstreams, tls: tls, tenantContext: tenantContext,
                          timeouts: timeouts, pagesDirectory: pagesDirectory, configDirectory: configDirectory,
                          adminToken: adminToken, trustedProxies: trustedProxies, shutdownTimeout: shutdownTimeout,
                          limits: limits, healthPath: healthPath.path, accessLog: accessLog, log: log,
                          acme: acme)
    }

    /// `auto` follows the machine, so the same file suits a laptop and a 64-core host.
    private static func readWorkers(_ node: Node?, _ reader: ConfigReader) -> Int? {
        guard let node else { return ProcessInfo.processInfo.activeProcessorCount }
        if node.scalar?.string == "auto", node.tagName == .str {
            return max(1, ProcessInfo.processInfo.activeProcessorCount)
        }
        guard node.scalar != nil, node.tagName == .int, let count = node.int else {
            reader.report("workers", node, "expected auto or a whole number")
            return nil
        }
        guard count >= 1 else {
            reader.report("workers", node, "must be at least 1")
            return nil
        }
        return count
    }
}
