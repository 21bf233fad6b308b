import Yams

/// `timeouts:`, in seconds. Each bounds how long one peer can hold a connection's resources
/// without making progress (slowloris on the client side, a hung backend on the other).
public struct TimeoutConfig: Sendable, Equatable {
    /// From accept (or the previous response) until the complete request head has arrived.
    public var clientHeader: Double
    /// How long an idle keep-alive client connection is kept open.
    public var clientKeepAlive: Double
    /// TCP connect to a backend server.
    public var upstreamConnect: Double
    /// From the request being sent until the backend's response head has arrived.
    public var upstreamHeader: Double
    /// Longest pause within a request or response body in either direction.
    public var bodyIdle: Double

    public init(clientHeader: Double = 10, clientKeepAlive: Double = 60, upstreamConnect: Double = 3,
                upstreamHeader: Double = 60, bodyIdle: Double = 60) {
        self.clientHeader = clientHeader
        self.clientKeepAlive = clientKeepAlive
        self.upstreamConnect = upstreamConnect
        self.upstreamHeader = upstreamHeader
        self.bodyIdle = bodyIdle
    }
}

extension TimeoutConfig {
    static func read(_ node: Node?, at path: String, _ reader: ConfigReader) -> TimeoutConfig? {
        var config = TimeoutConfig()
        guard let node else { return config }
        let fields: [(String, WritableKeyPath<TimeoutConfig, Double>)] = [
            ("client_header", \.clientHeader), ("client_keepalive", \.clientKeepAlive),
            ("upstream_connect", \.upstreamConnect), ("upstream_header", \.upstreamHeader),
            ("body_idle", \.bodyIdle),
        ]
        guard let map = reader.mapping(node, at: path, keys: fields.map(\.0)) else { return nil }
        var valid = true
        for (key, field) in fields {
            guard let value = map[key] else { continue }
            if let seconds = reader.seconds(value, at: map.path(key)) {
                config[keyPath: field] = seconds
            } else {
                valid = false
            }
        }
        return valid ? config : nil
    }
}
