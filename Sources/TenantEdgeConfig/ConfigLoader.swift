import Foundation
import Yams

/// Reads, parses and validates a configuration file in one step, so the rest of the proxy only
/// ever sees a complete, valid `EdgeConfig` (SIGHUP swaps configs only if this succeeds).
public enum ConfigLoader {
    /// Loads the YAML file at `path`, resolving relative paths against its folder and secrets from
    /// `environment`. Throws a `ConfigError` listing every problem found.
    public static func load(path: String,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> EdgeConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, problems: [ConfigProblem(keyPath: "", line: nil,
                                                                   message: "cannot read file: \(readFailure(path))")])
        }
        let directory = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().path
        return try load(yaml: text, file: path, configDirectory: directory, environment: environment)
    }

    /// Loads configuration text; `file` names it in problems and `configDirectory` anchors its
    /// relative paths. For tests and for configs that do not come from a file.
    public static func load(yaml: String, file: String = "config.yaml", configDirectory: String,
                            environment: [String: String]) throws(ConfigError) -> EdgeConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigError(file: file, problems: [syntaxProblem(error)])
        }
        guard let root, !ConfigReader.isNull(root) else {
            throw ConfigError(file: file, problems: [ConfigProblem(keyPath: "", line: nil, message: "the file is empty")])
        }
        let reader = ConfigReader(environment: environment, baseDirectory: configDirectory)
        let config = EdgeConfig.read(root, configDirectory: configDirectory, reader)
        if let config, reader.problems.isEmpty { return config }
        var problems = reader.problems
        if problems.isEmpty {
            problems = [ConfigProblem(keyPath: "", line: nil, message: "invalid configuration")]
        }
        // Stable by line, so problems of one line keep the order they were found in.
        let ordered = problems.enumerated().sorted { ($0.element.line ?? 0, $0.offset) < ($1.element.line ?? 0, $1.offset) }
        throw ConfigError(file: file, problems: ordered.map(\.element))
    }

    /// One problem for a YAML syntax error, at the line libyaml stopped at; the context text
    /// ("while parsing a block mapping") is kept because it often names the real cause.
    static func syntaxProblem(_ error: any Error) -> ConfigProblem {
        guard let yamlError = error as? YamlError else {
            return ConfigProblem(keyPath: "", line: nil, message: "YAML syntax error: \(error)")
        }
        switch yamlError {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            var message = "YAML syntax error: \(problem)"
            if let context { message += " (\(context.text) at line \(context.mark.line))" }
            return ConfigProblem(keyPath: "", line: mark.line, message: message)
        case let .duplicatedKeysInMapping(duplicates, context):
            return ConfigProblem(keyPath: "", line: context.mark.line,
                                 message: "duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) in one mapping")
        case let .reader(problem, offset, _, _):
            let at = offset.map { " at byte \($0)" } ?? ""
            return ConfigProblem(keyPath: "", line: nil, message: "YAML cannot be read\(at): \(problem)")
        default:
            return ConfigProblem(keyPath: "", line: nil, message: "YAML syntax error: \(yamlError)")
        }
    }

    private static func readFailure(_ path: String) -> String {
        var status = stat()
        if stat(path, &status) != 0 { return String(cString: strerror(errno)) }
        if (status.st_mode & S_IFMT) == S_IFDIR { return "is a directory" }
        if access(path, R_OK) != 0 { return String(cString: strerror(errno)) }
        return "not valid UTF-8"
    }
}
