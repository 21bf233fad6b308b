/// What a normalized host resolves to in one `RouteTable`; a plain value so the hot path
/// returns it without allocating.
public struct RouteResolution: Sendable, Equatable {
    /// Which step of the lookup order matched (DESIGN.md section 5).
    public enum Rule: Sendable, Equatable, Hashable {
        case exact, platformWildcard, passthrough, notFound
    }

    public var rule: Rule
    /// Index for `RouteTable.store(_:)`; -1 for passthrough and notFound.
    public var storeIndex: Int32
    /// Exact rows: from `is_custom_domain`; wildcard and passthrough: `.platform`;
    /// meaningless for notFound.
    public var hostKind: HostKind
    /// Passthrough only: index into `RouteTable.passthroughUpstreams`; -1 otherwise.
    public var upstreamIndex: Int32
    /// Passthrough only: the upstream name (a stored string, no allocation).
    public var upstream: String?
    /// Stable within one table generation, distinct and in `0..<RouteTable.routeKeyCount`:
    /// exact -> host row (base rows, then overlay rows); wildcard -> hostRows + storeIndex *
    /// domainCount + domainIndex; passthrough -> hostRows + storeSlots * domainCount +
    /// passthrough index; notFound -> -1. Without an overlay (a fresh load) hostRows is
    /// `hostCount` and storeSlots is `storeCount`.
    /// The server keys its per-worker signed-header cache by it.
    public var routeKey: Int

    public init(rule: Rule, storeIndex: Int32, hostKind: HostKind, upstreamIndex: Int32 = -1, upstream: String? = nil, routeKey: Int) {
        self.rule = rule
        self.storeIndex = storeIndex
        self.hostKind = hostKind
        self.upstreamIndex = upstreamIndex
        self.upstream = upstream
        self.routeKey = routeKey
    }

    public static let notFound = RouteResolution(rule: .notFound, storeIndex: -1, hostKind: .platform, routeKey: -1)
}
