import Yams

/// `access_log:`: one JSON line per request (DESIGN.md section 7).
public struct AccessLogConfig: Sendable, Equatable {
    public enum Destination: Sendable, Equatable {
        case stdout
        /// Absolute path; reopened on SIGUSR1 so logrotate can move it away.
        case file(String)
    }

    public var enabled: Bool
    public var destination: Destination
    /// Fraction of requests logged, 0.0...1.0: busy sites log a sample to keep the volume
    /// (and the write cost) bounded while metrics still count every request.
    public var sample: Double

    public init(enabled: Bool = true, destination: Destination = .stdout, sample: Double = 1.0) {
        self.enabled = enabled
        self.destination = destination
        self.sample = sample
    }
}

extension AccessLogConfig {
    static func read(_ node: Node?, at path: String, _ reader: ConfigReader) -> AccessLogConfig? {
        var config = AccessLogConfig()
        guard let node else { return config }
        guard let map = reader.mapping(node, at: path, keys: ["enabled", "path", "sample"]) else { return nil }
        var valid = true
        if let value = map["enabled"] {
            if let enabled = reader.bool(value, at: map.path("enabled")) { config.enabled = enabled } else { valid = false }
        }
        if let value = map["path"] {
            if value.scalar?.string == "stdout", value.tagName == .str {
                config.destination = .stdout
            } else if let file = reader.filePath(value, at: map.path("path")) {
                config.destination = .file(file)
            } else {
                valid = false
            }
        }
        if let value = map["sample"] {
            if let fraction = reader.fraction(value, at: map.path("sample")) { config.sample = fraction } else { valid = false }
        }
        return valid ? config : nil
    }
}
