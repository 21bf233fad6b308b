/// A row (or configured name) left out of a `RouteTable`, and why. Bad data in the master
/// database must never stop the proxy from serving every other store, so building never
/// fails; the server logs and counts these instead.
public struct SkippedRow: Sendable, Equatable, Hashable, CustomStringConvertible {
    public enum Source: String, Sendable, Hashable {
        case store, hostname, platformDomain, passthroughHost
    }

    public enum Reason: Sendable, Equatable, Hashable, CustomStringConvertible {
        /// The hostname (or slug, or configured name) failed `HostNormalizer`.
        case invalidHost(HostError)
        /// An IP literal can never name a store.
        case ipLiteral
        /// Same normalized hostname as an earlier row; the earlier row wins.
        case duplicateHostname
        /// `store_id` names no loaded store.
        case danglingStoreId
        /// Same store id as an earlier store row; the earlier row wins.
        case duplicateStoreId
        /// A store id longer than any real one (64 KiB): refused rather than indexed.
        case invalidStoreId
        /// The slug is not a single DNS label, so `<slug>.<domain>` cannot reach the store
        /// (its exact hostnames still work).
        case invalidSlug
        /// Same lowercase slug as an earlier store; only the earlier one gets the wildcard.
        case duplicateSlug

        public var description: String {
            switch self {
            case .invalidHost(let error): error.description
            case .ipLiteral: "IP literal"
            case .duplicateHostname: "duplicate hostname"
            case .danglingStoreId: "store id not found"
            case .duplicateStoreId: "duplicate store id"
            case .invalidStoreId: "store id too long"
            case .invalidSlug: "slug is not a single DNS label"
            case .duplicateSlug: "duplicate slug"
            }
        }
    }

    public var source: Source
    /// Index of the row in its source list (`RouteMapData.stores` / `.hostnames`, or the
    /// position in the policy list); -1 for dictionary entries.
    public var index: Int
    /// The offending value as given (hostname, slug, store id or configured name).
    public var value: String
    public var reason: Reason

    public init(source: Source, index: Int, value: String, reason: Reason) {
        self.source = source
        self.index = index
        self.value = value
        self.reason = reason
    }

    public var description: String { "\(source.rawValue)[\(index)] \"\(value)\": \(reason)" }
}
