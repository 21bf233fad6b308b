/// One thing wrong with a configuration file, located precisely enough that an operator can
/// fix it without guessing: the key path (`upstreams.default.servers[0]`) and, when the YAML
/// node is known, its 1-based line.
///
/// Messages may name environment variables but never contain their values, because
/// `check-config` output ends up in CI logs and terminals.
public struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    /// Dotted path of the offending key; empty for problems with the whole file.
    public var keyPath: String
    /// 1-based line of the offending node, when known.
    public var line: Int?
    /// What is wrong and, where possible, what would be right.
    public var message: String

    public init(keyPath: String, line: Int?, message: String) {
        self.keyPath = keyPath
        self.line = line
        self.message = message
    }

    /// `12: upstreams.default.servers[0]: ...` (the file name is added by `ConfigError`).
    public var description: String {
        var text = ""
        if let line { text += "\(line): " }
        if !keyPath.isEmpty { text += "\(keyPath): " }
        return text + message
    }
}
