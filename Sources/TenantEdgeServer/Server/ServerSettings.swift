import TenantContext
import TenantEdgeCore

/// Everything a worker needs, resolved and validated before any worker starts
/// (addresses resolved, pages rendered, keys loaded), so that the data plane never
/// parses, resolves or fails on configuration.
public struct ServerSettings: Sendable {
    public struct Listener: Sendable {
        public var address: SocketAddress
        public var https: Bool
        public var proxyProtocol: Bool
        public init(address: SocketAddress, https: Bool, proxyProtocol: Bool) {
            self.address = address
            self.https = https
            self.proxyProtocol = proxyProtocol
        }

        /// Same address and protocol: a reload keeps this socket open.
        func sameSocket(as other: Listener) -> Bool {
            address.description == other.address.description && https == other.https
                && proxyProtocol == other.proxyProtocol
        }
    }

    public struct Upstream: Sendable {
        public var name: String
        public var servers: [SocketAddress]
        public init(name: String, servers: [SocketAddress]) {
            self.name = name
            self.servers = servers
        }

        var description: String { "\(name)=\(servers.map(\.description).joined(separator: ","))" }
    }

    /// Milliseconds.
    public struct Timeouts: Sendable {
        public var clientHeader: Int64 = 10_000
        public var clientKeepAlive: Int64 = 60_000
        public var upstreamConnect: Int64 = 3_000
        public var upstreamHeader: Int64 = 60_000
        public var bodyIdle: Int64 = 60_000
        public var upstreamIdle: Int64 = 60_000
        public init() {}
    }

    public var listeners: [Listener]
    /// Index 0 is the `default` upstream; passthrough hosts name the others.
    public var upstreams: [Upstream]
    public var workers: Int
    public var timeouts: Timeouts
    public var errorPages: ErrorPages
    public var signer: TenantContextSigner
    public var tokenTTLSeconds: Int
    /// The key ring's public keys (RFC 7517), served by the admin listener; replaced with
    /// the signer on reload, so rotation is config + SIGHUP.
    public var jwks = "{\"keys\":[]}"
    /// Peers whose X-Forwarded-For, X-Forwarded-Proto and X-Request-Id are kept.
    public var trustedProxies = TrustedProxies()
    /// Accepting pauses at this many client connections on one worker.
    public var maxConnectionsPerWorker = 50_000
    /// Accepting pauses at this many client connections in the process.
    public var maxConnections = 100_000
    /// Past this many HTTP/1.1 requests in progress on a worker, a new one is shed (503).
    public var maxActiveRequestsPerWorker = Int.max
    /// `limits.max_memory_mib` in bytes; `Int.max`: none.
    public var maxMemoryBytes = Int.max
    /// Whether the per-worker limits alone could exceed `maxConnections`, so that workers
    /// must count against the shared ConnectionBudget.
    var enforcesTotalLimit: Bool { max(1, workers) * maxConnectionsPerWorker > maxConnections }
    /// A path answered 200 on the traffic ports (503 while draining), for load balancers.
    public var healthPath: [UInt8]?
    /// 308 from plain HTTP to HTTPS for store hosts (not for ACME HTTP-01 challenges).
    public var redirectHTTPToHTTPS = false
    public var accessLog: AccessLogFile?
    public var accessLogSample = 1.0
    /// Client and upstream input buffers share one size, so idle ones share one pool.
    public var clientBufferSize = 33 * 1024

    public init(
        listeners: [Listener], upstreams: [Upstream], workers: Int, timeouts: Timeouts,
        errorPages: ErrorPages, signer: TenantContextSigner, tokenTTLSeconds: Int
    ) {
        self.listeners = listeners
        self.upstreams = upstreams
        self.workers = workers
        self.timeouts = timeouts
        self.errorPages = errorPages
        self.signer = signer
        self.tokenTTLSeconds = tokenTTLSeconds
    }

    func upstreamIndex(named name: String) -> Int? {
        upstreams.firstIndex { $0.name == name }
    }
}
