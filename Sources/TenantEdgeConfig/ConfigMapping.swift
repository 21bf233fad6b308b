import Yams

/// The known keys of one YAML mapping, with the path and line needed to report a missing key.
struct ConfigMapping {
    let node: Node
    let path: String
    let entries: [String: (key: Node, value: Node)]

    var line: Int? { node.mark?.line }

    /// The value of `key`, or nil if absent or explicitly null (`key:` / `key: ~`), so an empty
    /// optional key behaves like a missing one.
    subscript(key: String) -> Node? {
        guard let value = entries[key]?.value, !ConfigReader.isNull(value) else { return nil }
        return value
    }

    func keyNode(_ key: String) -> Node? { entries[key]?.key }

    func path(_ key: String) -> String { Self.join(path, key) }

    /// Reports a missing required key at the line of the mapping that should contain it.
    func require(_ key: String, _ reader: ConfigReader) -> Node? {
        if let value = self[key] { return value }
        reader.report(path(key), line: entries[key]?.key.mark?.line ?? line, "required key is missing")
        return nil
    }

    /// `upstreams.default`, or `routing.passthrough_hosts["api.example"]` for keys that are not
    /// plain identifiers, so the path stays unambiguous.
    static func join(_ path: String, _ key: String) -> String {
        let plain = !key.isEmpty && key.utf8.allSatisfy {
            ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F || $0 == 0x2D
        }
        if !plain { return "\(path)[\"\(key)\"]" }
        return path.isEmpty ? key : "\(path).\(key)"
    }
}
