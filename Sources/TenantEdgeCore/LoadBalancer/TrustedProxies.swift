/// The peers whose `X-Forwarded-For`, `X-Forwarded-Proto` and `X-Request-Id` are believed
/// (`trusted_proxies`): from anyone else those headers are replaced, because a client can
/// write anything into them (DESIGN.md section 6).
///
/// A plain array scan: lists are a handful of ranges, and a linear pass over inline structs
/// beats any tree at that size while allocating nothing per request.
public struct TrustedProxies: Sendable, Hashable {
    public let ranges: [CIDRRange]

    public init(_ ranges: [CIDRRange] = []) {
        self.ranges = ranges
    }

    /// Parses every entry, so a configuration error names all bad entries at once.
    public init(parsing texts: [String]) throws(ParseError) {
        var ranges: [CIDRRange] = []
        var problems: [(index: Int, reason: String)] = []
        for (index, text) in texts.enumerated() {
            do {
                ranges.append(try CIDRRange(parsing: text))
            } catch {
                problems.append((index, error.reason))
            }
        }
        guard problems.isEmpty else { throw ParseError(problems: problems.map { ParseError.Problem(index: $0.index, reason: $0.reason) }) }
        self.ranges = ranges
    }

    /// The entries that failed to parse, by position in the list.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public struct Problem: Sendable, Equatable {
            public var index: Int
            public var reason: String
        }

        public var problems: [Problem]
        public var description: String {
            problems.map { "trusted_proxies[\($0.index)]: \($0.reason)" }.joined(separator: "\n")
        }
    }

    public var isEmpty: Bool { ranges.isEmpty }

    /// True if `address` lies in any range. Ports are ignored.
    @inline(__always)
    public func contains(_ address: ClientAddress) -> Bool {
        for range in ranges where range.contains(address) { return true }
        return false
    }
}
