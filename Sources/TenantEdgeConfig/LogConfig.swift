import Yams

/// `log:`: the proxy's own event log (not the access log), always to stderr.
public struct LogConfig: Sendable, Equatable {
    /// The swift-log levels, by the names operators write.
    public enum Level: String, Sendable, CaseIterable {
        case trace, debug, info, notice, warning, error, critical
    }

    /// JSON lines for log shippers, or swift-log's plain text for people at a terminal.
    public enum Format: String, Sendable, CaseIterable {
        case json, text
    }

    public var level: Level
    public var format: Format

    public init(level: Level = .info, format: Format = .json) {
        self.level = level
        self.format = format
    }
}

extension LogConfig {
    static func read(_ node: Node?, at path: String, _ reader: ConfigReader) -> LogConfig? {
        var config = LogConfig()
        guard let node else { return config }
        guard let map = reader.mapping(node, at: path, keys: ["level", "format"]) else { return nil }
        var valid = true
        if let value = map["level"] {
            if let level = reader.choice(value, at: map.path("level"), Level.self) { config.level = level } else { valid = false }
        }
        if let value = map["format"] {
            if let format = reader.choice(value, at: map.path("format"), Format.self) { config.format = format } else { valid = false }
        }
        return valid ? config : nil
    }
}
