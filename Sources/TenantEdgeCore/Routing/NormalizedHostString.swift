/// A host that passed `HostNormalizer`, as a `String`: what configuration, the database
/// loader, the admin endpoint and tests work with (the request path uses bytes instead).
public struct NormalizedHostString: Sendable, Hashable, CustomStringConvertible {
    /// Lowercase, without port or trailing dot.
    public let host: String
    /// `[v6]` or a name ending in a number: never matches a store.
    public let isIPLiteral: Bool

    public init(host: String, isIPLiteral: Bool) {
        self.host = host
        self.isIPLiteral = isIPLiteral
    }

    public var description: String { host }
}
