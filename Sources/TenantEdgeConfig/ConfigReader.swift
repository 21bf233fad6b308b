import Yams

/// Walks the composed YAML tree for the section readers and collects every problem instead of
/// stopping at the first, so `check-config` can list them all. Used only during one load, by one
/// thread, hence a plain class.
final class ConfigReader {
    private(set) var problems: [ConfigProblem] = []
    let environment: [String: String]
    /// Folder of the config file; relative paths in the file are resolved against it so the
    /// meaning of a config does not depend on the directory the proxy was started from.
    let baseDirectory: String

    init(environment: [String: String], baseDirectory: String) {
        self.environment = environment
        self.baseDirectory = baseDirectory
    }

    func report(_ path: String, _ node: Node?, _ message: String) {
        problems.append(ConfigProblem(keyPath: path, line: node?.mark?.line, message: message))
    }

    func report(_ path: String, line: Int?, _ message: String) {
        problems.append(ConfigProblem(keyPath: path, line: line, message: message))
    }

    static func isNull(_ node: Node) -> Bool {
        node.scalar != nil && node.tagName == .null
    }

    /// A mapping whose keys are all in `keys`; an unknown key is reported at its own line
    /// because a misspelled optional key would otherwise silently fall back to its default.
    func mapping(_ node: Node, at path: String, keys: [String]) -> ConfigMapping? {
        guard let mapping = node.mapping else {
            report(path, node, "expected a mapping with keys \(keys.joined(separator: ", "))")
            return nil
        }
        var entries: [String: (key: Node, value: Node)] = [:]
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                report(path, key, "keys must be plain strings")
                continue
            }
            if !keys.contains(name) {
                report(ConfigMapping.join(path, name), key,
                       "unknown key '\(name)' (expected one of: \(keys.joined(separator: ", ")))")
                continue
            }
            entries[name] = (key, value)
        }
        return ConfigMapping(node: node, path: path, entries: entries)
    }

    /// A mapping with arbitrary string keys (upstream names, passthrough hosts), in file order.
    func dictionary(_ node: Node, at path: String) -> [(name: String, key: Node, value: Node)]? {
        guard let mapping = node.mapping else {
            report(path, node, "expected a mapping")
            return nil
        }
        var result: [(name: String, key: Node, value: Node)] = []
        for (key, value) in mapping {
            guard let name = key.scalar?.string, !name.isEmpty else {
                report(path, key, "keys must be non-empty strings")
                continue
            }
            result.append((name, key, value))
        }
        return result
    }

    func list(_ node: Node, at path: String) -> [Node]? {
        guard let sequence = node.sequence else {
            report(path, node, "expected a list")
            return nil
        }
        return Array(sequence)
    }

    func string(_ node: Node, at path: String) -> String? {
        guard let scalar = node.scalar, !Self.isNull(node) else {
            report(path, node, "expected a string")
            return nil
        }
        guard !scalar.string.isEmpty else {
            report(path, node, "must not be empty")
            return nil
        }
        return scalar.string
    }

    func int(_ node: Node, at path: String) -> Int? {
        guard node.scalar != nil, node.tagName == .int, let value = node.int else {
            report(path, node, "expected a whole number")
            return nil
        }
        return value
    }

    /// Seconds; whole numbers and decimals are both fine (`0.5`, `10`).
    func seconds(_ node: Node, at path: String) -> Double? {
        guard node.scalar != nil, node.tagName == .int || node.tagName == .float,
              let value = node.float, value.isFinite
        else {
            report(path, node, "expected a number of seconds")
            return nil
        }
        guard value > 0 else {
            report(path, node, "must be greater than 0")
            return nil
        }
        return value
    }

    /// A number from 0 to 1 inclusive (`0`, `0.25`, `1`), for sampling rates.
    func fraction(_ node: Node, at path: String) -> Double? {
        guard node.scalar != nil, node.tagName == .int || node.tagName == .float,
              let value = node.float, value.isFinite
        else {
            report(path, node, "expected a number from 0.0 to 1.0")
            return nil
        }
        guard value >= 0, value <= 1 else {
            report(path, node, "must be from 0.0 to 1.0")
            return nil
        }
        return value
    }

    /// One of an enumeration's raw values, listing them all when the text is none of them.
    func choice<Choice: RawRepresentable & CaseIterable>(_ node: Node, at path: String, _: Choice.Type) -> Choice?
        where Choice.RawValue == String {
        guard let text = string(node, at: path) else { return nil }
        if let value = Choice(rawValue: text) { return value }
        report(path, node, "expected one of \(Choice.allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'")
        return nil
    }

    func bool(_ node: Node, at path: String) -> Bool? {
        guard node.scalar != nil, node.tagName == .bool, let value = node.bool else {
            report(path, node, "expected true or false")
            return nil
        }
        return value
    }

    func address(_ node: Node, at path: String) -> SocketAddressSpec? {
        guard let text = string(node, at: path) else { return nil }
        do {
            return try SocketAddressSpec(parsing: text)
        } catch {
            report(path, node, error.reason)
            return nil
        }
    }

    /// A file system path, absolute after resolving it against the config file's folder.
    func filePath(_ node: Node, at path: String) -> String? {
        guard let text = string(node, at: path) else { return nil }
        if text.hasPrefix("/") { return text }
        return baseDirectory.hasSuffix("/") ? baseDirectory + text : baseDirectory + "/" + text
    }

    /// Reads the variable named at `node`. Only the variable's name ever appears in problems:
    /// its value is a secret.
    func secret(nameNode node: Node?, name: String, at path: String, line: Int?) -> String? {
        guard let value = environment[name] else {
            report(path, line: node?.mark?.line ?? line, "environment variable \(name) is not set")
            return nil
        }
        guard !value.isEmpty else {
            report(path, line: node?.mark?.line ?? line, "environment variable \(name) is empty")
            return nil
        }
        return value
    }

    /// Host names in the config (platform domains, passthrough hosts) in the form the route
    /// table compares against: lowercase, without the optional trailing dot.
    func hostName(_ raw: String, node: Node, at path: String) -> String? {
        var host = raw.lowercased()
        if host.hasSuffix(".") { host.removeLast() }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        let valid = !host.isEmpty && host.utf8.count <= 253 && labels.allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
        }
        guard valid else {
            report(path, node, "'\(raw)' is not a valid host name")
            return nil
        }
        return host
    }
}

extension Node {
    /// The resolved YAML tag (`!!int`, `!!str`, ...), so a quoted `"10"` is not taken for a number.
    var tagName: Tag.Name { Tag.Name(rawValue: tag.rawValue) }
}
