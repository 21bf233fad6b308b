/// Builds the Prometheus text exposition format, version 0.0.4
/// (https://prometheus.io/docs/instrumenting/exposition_formats/).
///
/// A value type that only appends text, so the whole `/metrics` page is built and tested
/// without sockets; escaping and the histogram's cumulative buckets live here once rather
/// than in every caller. Scrapes happen every few seconds, so Strings are fine here.
public struct MetricsRenderer: Sendable {
    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    /// Every family name is prefixed with it, so our metrics never collide with others.
    public let namespace: String
    public private(set) var text = ""
    private var families: Set<String> = []

    public init(namespace: String = "tenant_edge_") {
        self.namespace = namespace
    }

    /// Writes `# HELP` and `# TYPE` for a family; its samples must follow before the next
    /// family, as the format requires.
    public mutating func family(_ name: String, _ kind: Kind, help: String) {
        let full = namespace + name
        precondition(Self.isValidName(full), "invalid metric name \(full)")
        precondition(families.insert(full).inserted, "metric family \(full) written twice")
        text += "# HELP \(full) \(Self.escapeHelp(help))\n# TYPE \(full) \(kind.rawValue)\n"
    }

    /// One sample line; `name` without the namespace (a histogram's `_bucket` etc. included).
    public mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
        writeName(name, labels)
        text += Self.format(value) + "\n"
    }

    /// One sample line with an integer value, written exactly (a Double would round above 2^53).
    public mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: UInt64) {
        writeName(name, labels)
        text += "\(value)\n"
    }

    /// A family with a single unlabelled sample.
    public mutating func counter(_ name: String, help: String, _ value: UInt64) {
        family(name, .counter, help: help)
        sample(name, [], value)
    }

    public mutating func gauge(_ name: String, help: String, _ value: Double) {
        family(name, .gauge, help: help)
        sample(name, [], value)
    }

    /// A histogram's samples: `counts[i]` observations fell in bucket i (not cumulative; the
    /// renderer accumulates), with one more count than `upperBounds` for `+Inf`.
    public mutating func histogram(_ name: String, _ labels: [(String, String)] = [], upperBounds: [Double],
                                   counts: [UInt64], sum: Double) {
        precondition(counts.count == upperBounds.count + 1, "a histogram needs one count per bound plus +Inf")
        var cumulative: UInt64 = 0
        for (index, count) in counts.enumerated() {
            cumulative &+= count
            let bound = index < upperBounds.count ? Self.format(upperBounds[index]) : "+Inf"
            sample(name + "_bucket", labels + [("le", bound)], cumulative)
        }
        sample(name + "_sum", labels, sum)
        sample(name + "_count", labels, cumulative)
    }

    private mutating func writeName(_ name: String, _ labels: [(String, String)]) {
        text += namespace + name
        if !labels.isEmpty {
            text += "{"
            for (index, label) in labels.enumerated() {
                if index > 0 { text += "," }
                text += "\(label.0)=\"\(Self.escapeLabel(label.1))\""
            }
            text += "}"
        }
        text += " "
    }

    /// Go's float syntax as Prometheus parses it: integers without a fraction, `+Inf`, `NaN`.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    static func escapeHelp(_ text: String) -> String {
        text.replacingAll("\\", with: "\\\\").replacingAll("\n", with: "\\n")
    }

    static func escapeLabel(_ text: String) -> String {
        text.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"").replacingAll("\n", with: "\\n")
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(first >= 0x30 && first <= 0x39) else { return false }
        return name.utf8.allSatisfy {
            ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F || $0 == 0x3A
        }
    }
}

extension String {
    /// Without Foundation, which the core target does not link.
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        guard contains(target) else { return self }
        var result = ""
        result.reserveCapacity(utf8.count + 8)
        for character in self {
            if character == target { result += replacement } else { result.append(character) }
        }
        return result
    }
}
