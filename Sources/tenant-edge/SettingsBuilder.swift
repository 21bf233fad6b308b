import TenantContext
import TenantEdgeConfig
import TenantEdgeCore
import TenantEdgeServer
import Logging

/// Turns a validated configuration into what the workers run with: addresses resolved,
/// error pages rendered, the signing key loaded. Everything that can fail fails here,
/// before a socket is bound, so a bad config never half-starts a proxy.
enum SettingsBuilder {
    struct BuildError: Error, CustomStringConvertible {
        var description: String
    }

    static func policy(_ config: EdgeConfig) -> RoutingPolicy {
        RoutingPolicy(platformDomains: config.routing.platformDomains, passthroughHosts: config.routing.passthroughHosts)
    }

    static func build(_ config: EdgeConfig) throws -> ServerSettings {
        var listeners: [ServerSettings.Listener] = []
        for listener in config.listeners {
            let address = try resolve(listener.address, what: "listener")
            listeners.append(.init(address: address, https: listener.protocol == .https, proxyProtocol: listener.proxyProtocol))
        }
        // The default upstream is index 0; the others follow in name order.
        var upstreams: [ServerSettings.Upstream] = []
        let names = ["default"] + config.upstreams.keys.filter { $0 != "default" }.sorted()
        for name in names {
            guard let upstream = config.upstreams[name] else {
                throw BuildError(description: "upstreams.default: an upstream named default is required")
            }
            var servers: [SocketAddress] = []
            for server in upstream.servers {
                servers.append(try resolve(server, what: "upstreams.\(name)"))
            }
            upstreams.append(.init(name: name, servers: servers))
        }
        let pages: ErrorPages
        do {
            pages = try ErrorPages(templatesDirectory: config.pagesDirectory, retryAfterSeconds: config.routing.retryAfterSeconds)
        } catch {
            throw BuildError(description: "pages_dir: \(error)")
        }
        let ring = config.tenantContext.makeKeyRing()
        let signer = TenantContextSigner(
            key: ring.signingKey,
            issuer: config.tenantContext.issuer, audience: config.tenantContext.audience,
            ttlSeconds: config.tenantContext.ttlSeconds)
        var timeouts = ServerSettings.Timeouts()
        timeouts.clientHeader = milliseconds(config.timeouts.clientHeader)
        timeouts.clientKeepAlive = milliseconds(config.timeouts.clientKeepAlive)
        timeouts.upstreamConnect = milliseconds(config.timeouts.upstreamConnect)
        timeouts.upstreamHeader = milliseconds(config.timeouts.upstreamHeader)
        timeouts.bodyIdle = milliseconds(config.timeouts.bodyIdle)
        var settings = ServerSettings(
            listeners: listeners, upstreams: upstreams, workers: config.workers, timeouts: timeouts,
            errorPages: pages, signer: signer, tokenTTLSeconds: config.tenantContext.ttlSeconds)
        settings.jwks = ring.jwks
        settings.trustedProxies = config.trustedProxies
        settings.maxConnectionsPerWorker = config.limits.perWorker(workers: config.workers)
        settings.maxConnections = config.limits.maxConnections
        settings.maxActiveRequestsPerWorker = config.limits.maxActiveRequestsPerWorker ?? .max
        settings.maxMemoryBytes = config.limits.maxMemoryMiB.map { $0 << 20 } ?? .max
        settings.healthPath = config.healthPath.map { Array($0.utf8) }
        settings.redirectHTTPToHTTPS = config.routing.redirectHTTPToHTTPS
        return settings
    }

    /// The certificate store for https listeners, or nil when there are none. A bad file
    /// in the certificates folder is skipped and logged; a bad default certificate is an
    /// error, since without it no handshake can complete.
    /// `ticketKeys` is the process's ring (nil when only checking: OpenSSL's own keys).
    static func certificates(_ config: EdgeConfig, ticketKeys: TicketKeyRing?, logger: Logger?) throws -> CertificateStore? {
        guard config.listeners.contains(where: { $0.protocol == .https }) else { return nil }
        guard let pair = config.tls?.defaultCertificate else {
            throw BuildError(description: "tls.default_certificate: required when a listener uses https")
        }
        let store: CertificateStore
        do {
            store = try CertificateStore(
                defaultCertificate: (pair.certificatePath, pair.keyPath),
                directory: config.tls?.certificatesDirectory, alpn: .h2AndHTTP11, ticketKeys: ticketKeys)
        } catch {
            throw BuildError(description: error.description)
        }
        for problem in store.skipped {
            logger?.warning("skipped certificate", metadata: ["problem": "\(problem)"])
        }
        for problem in store.skippedOCSP {
            logger?.warning("skipped OCSP response", metadata: ["problem": "\(problem)"])
        }
        return store
    }

    private static func resolve(_ spec: SocketAddressSpec, what: String) throws -> SocketAddress {
        do {
            return try SocketAddress.resolve(host: spec.host, port: Int(spec.port))
        } catch {
            throw BuildError(description: "\(what) \(spec): \(error.message)")
        }
    }

    private static func milliseconds(_ seconds: Double) -> Int64 {
        Int64((seconds * 1000).rounded())
    }
}
