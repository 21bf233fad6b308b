import TenantEdgeConfig

/// The configuration loader on arbitrary text (YAML parsing by Yams/libyaml, then our
/// validation). A bad file must give a clear error, never a crash, because SIGHUP reloads
/// it into a running proxy. Beyond "no crash":
/// - a failure lists at least one problem, each with a message and a line inside the file;
/// - loading is deterministic (same text, same config or same problems);
/// - a config that loads keeps the promises the server relies on without checking again
///   (a listener, a `default` upstream with servers, the signing key among the keys, positive
///   timeouts, workers >= 1);
/// - no problem message and no config description ever shows a secret's value.
public enum ConfigCheck {
    static let secret = "fuzz-secret-value-0123456789abcdef-0123456789"
    static let environment = [
        "MASTER_DB_URL": "postgresql://edge:\(secret)@db.internal/platform",
        "TENANT_CONTEXT_SECRET": secret,
        "SECRET": secret,
        "TOKEN": secret,
    ]

    public static func run(_ data: UnsafeRawBufferPointer) {
        let text = String(decoding: data, as: UTF8.self)
        let first = load(text)
        let second = load(text)
        switch (first, second) {
        case (.success(let a), .success(let b)):
            require(a == b, "the same text loads to two different configs")
            checkLoaded(a)
        case (.failure(let a), .failure(let b)):
            require(a.problems == b.problems, "the same text fails differently: \(a) vs \(b)")
            checkProblems(a, lineCount: lineBreakBound(text))
        default:
            require(false, "the same text loads once and fails once")
        }
    }

    static func load(_ text: String) -> Result<EdgeConfig, ConfigError> {
        do {
            return .success(try ConfigLoader.load(yaml: text, file: "fuzz.yaml", configDirectory: "/nonexistent-fuzz",
                                                  environment: environment))
        } catch {
            return .failure(error)
        }
    }

    /// At least the number of lines YAML sees: it also breaks lines at a lone CR, NEL, LS, PS.
    static func lineBreakBound(_ text: String) -> Int {
        text.unicodeScalars.reduce(1) { count, scalar in
            count + ([0x0A, 0x0D, 0x85, 0x2028, 0x2029].contains(scalar.value) ? 1 : 0)
        }
    }

    static func checkProblems(_ error: ConfigError, lineCount: Int) {
        require(!error.problems.isEmpty, "an error without problems")
        for problem in error.problems {
            require(!problem.message.isEmpty, "a problem without a message at \(problem.keyPath)")
            if let line = problem.line {
                require(line >= 0 && line <= lineCount + 1, "problem line \(line) in a file of \(lineCount) lines: \(problem)")
            }
            require(!problem.description.contains(secret), "a problem shows a secret: \(problem.keyPath)")
        }
        require(!error.description.contains(secret), "the error text shows a secret")
    }

    static func checkLoaded(_ config: EdgeConfig) {
        require(!config.listeners.isEmpty, "no listener")
        require(config.workers >= 1, "workers \(config.workers)")
        require(!(config.upstreams["default"]?.servers.isEmpty ?? true), "no default upstream servers")
        for (name, upstream) in config.upstreams {
            require(!upstream.servers.isEmpty, "upstream \(name) without servers")
        }
        for upstream in config.routing.passthroughHosts.values {
            require(config.upstreams[upstream] != nil, "pass-through to unknown upstream \(upstream)")
        }
        let context = config.tenantContext
        require(context.keys.contains { $0.kid == context.signWith }, "sign_with \(context.signWith) names no key")
        require(context.ttlSeconds > 0, "ttl \(context.ttlSeconds)")
        let timeouts = config.timeouts
        for value in [timeouts.clientHeader, timeouts.clientKeepAlive, timeouts.upstreamConnect,
                      timeouts.upstreamHeader, timeouts.bodyIdle, config.shutdownTimeout] {
            require(value.isFinite && value >= 0, "timeout \(value)")
        }
        require(config.limits.maxConnections >= 1, "max_connections \(config.limits.maxConnections)")
        if let perWorker = config.limits.maxConnectionsPerWorker {
            require(perWorker >= 1 && perWorker <= config.limits.maxConnections, "max_connections_per_worker \(perWorker)")
        }
        require(!String(describing: config).contains(secret), "the config's description shows a secret")
        require(!String(reflecting: config).contains(secret), "the config's debug description shows a secret")
    }
}
