import Yams

/// `limits:`: how many client connections the proxy holds at once. Over a limit the workers
/// stop accepting (the kernel's backlog queues the rest) rather than run out of file
/// descriptors or memory and fail everyone.
public struct LimitsConfig: Sendable, Equatable {
    /// Across all workers.
    public var maxConnections: Int
    /// Per worker; nil means an equal share of `maxConnections`, rounded up.
    public var maxConnectionsPerWorker: Int?
    /// HTTP/1.1 requests in progress on one worker (each holds a request context and a
    /// 33 KiB input buffer); past it a new request is answered 503 with Retry-After
    /// instead of taking more memory. nil: no limit.
    public var maxActiveRequestsPerWorker: Int?
    /// Resident memory of the whole process, in MiB (Envoy's overload manager on heap size):
    /// at or above it every worker sheds new requests with 503 and frees its spare buffers
    /// until the process is back under 90% of it. nil: no limit.
    public var maxMemoryMiB: Int?

    public init(maxConnections: Int = 100_000, maxConnectionsPerWorker: Int? = nil,
                maxActiveRequestsPerWorker: Int? = nil, maxMemoryMiB: Int? = nil) {
        self.maxConnections = maxConnections
        self.maxConnectionsPerWorker = maxConnectionsPerWorker
        self.maxActiveRequestsPerWorker = maxActiveRequestsPerWorker
        self.maxMemoryMiB = maxMemoryMiB
    }

    /// The per-worker limit for `workers` workers.
    public func perWorker(workers: Int) -> Int {
        maxConnectionsPerWorker ?? (maxConnections + max(1, workers) - 1) / max(1, workers)
    }
}

extension LimitsConfig {
    static func read(_ node: Node?, at path: String, _ reader: ConfigReader) -> LimitsConfig? {
        var config = LimitsConfig()
        guard let node else { return config }
        guard let map = reader.mapping(node, at: path, keys: ["max_connections", "max_connections_per_worker", "max_active_requests_per_worker", "max_memory_mib"]) else {
            return nil
        }
        var valid = true
        if let value = map["max_connections"] {
            if let count = positive(value, at: map.path("max_connections"), reader) {
                config.maxConnections = count
            } else {
                valid = false
            }
        }
        if let value = map["max_connections_per_worker"] {
            if let count = positive(value, at: map.path("max_connections_per_worker"), reader) {
                config.maxConnectionsPerWorker = count
                if count > config.maxConnections {
                    reader.report(map.path("max_connections_per_worker"), value,
                                  "\(count) is more than max_connections (\(config.maxConnections))")
                    valid = false
                }
            } else {
                valid = false
            }
        }
        if let value = map["max_active_requests_per_worker"] {
            if let count = positive(value, at: map.path("max_active_requests_per_worker"), reader) {
                config.maxActiveRequestsPerWorker = count
            } else {
                valid = false
            }
        }
        if let value = map["max_memory_mib"] {
            if let mib = positive(value, at: map.path("max_memory_mib"), reader) {
                if mib < 16 {
                    // Below the proxy's own footprint at start: every request would be shed.
                    reader.report(map.path("max_memory_mib"), value, "must be at least 16 (MiB)")
                    valid = false
                } else {
                    config.maxMemoryMiB = mib
                }
            } else {
                valid = false
            }
        }
        return valid ? config : nil
    }

    private static func positive(_ node: Node, at path: String, _ reader: ConfigReader) -> Int? {
        guard let count = reader.int(node, at: path) else { return nil }
        guard count >= 1 else {
            reader.report(path, node, "must be at least 1")
            return nil
        }
        return count
    }
}
