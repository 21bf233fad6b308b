/// One immutable snapshot of every route: a shared `RouteTableBase` (built off the hot path
/// from a full load) plus a `RouteOverlay` of the changes applied since. All workers read it
/// without locks; the change feed builds a new one per batch and swaps the reference.
///
/// `resolve` is the per-request path: it hashes the normalized host bytes once and probes
/// arena-backed open-addressing indexes (`ByteKeyIndex`), the overlay's first when it has
/// entries. It allocates nothing, creates no `String` and uses no Foundation. Hostnames are
/// kept only as bytes in one arena, so a million of them cost tens of megabytes, not a heap
/// object each.
public final class RouteTable: Sendable {
    public let generation: UInt64
    /// Change-log sequence of the data this table was built from.
    public let sequence: Int64
    /// Rows left out, with the reason; building never fails.
    public let skippedRows: [SkippedRow]
    /// Normalized, deduplicated, in configuration order; `domainIndex` in route keys.
    public let platformDomains: [String]
    /// Distinct pass-through upstream names, sorted; `RouteResolution.upstreamIndex` indexes it.
    public let passthroughUpstreams: [String]

    let base: RouteTableBase
    let overlay: RouteOverlay
    private let baseStoreCount: Int
    private let baseHostSlots: Int
    /// Host rows (base + overlay) and store slots (base + added): route keys are dense in
    /// `0 ..< routeKeyCount` over these.
    private let hostSlots: Int
    private let storeSlots: Int
    private let hasOverlayHosts: Bool
    private let hasOverlaySlugs: Bool
    private let hasReplacedStores: Bool

    public convenience init(data: RouteMapData, policy: RoutingPolicy, generation: UInt64) {
        self.init(base: RouteTableBuilder(data: data, policy: policy).finish(), overlay: RouteOverlay(),
                  generation: generation, sequence: data.sequence)
    }

    /// A table over a freshly built base (`RouteTableBuilder.finish()`), with no overlay.
    public convenience init(base: RouteTableBase, generation: UInt64, sequence: Int64) {
        self.init(base: base, overlay: RouteOverlay(), generation: generation, sequence: sequence)
    }

    init(base: RouteTableBase, overlay: RouteOverlay, generation: UInt64, sequence: Int64) {
        self.generation = generation
        self.sequence = sequence
        self.base = base
        self.overlay = overlay
        skippedRows = overlay.skipped.isEmpty ? base.skipped : base.skipped + overlay.skipped
        platformDomains = base.domainNames
        passthroughUpstreams = base.upstreamNames
        baseStoreCount = base.stores.count
        baseHostSlots = base.hosts.count
        hostSlots = base.hosts.count + overlay.hosts.count
        storeSlots = base.stores.count + overlay.addedStores.count
        hasOverlayHosts = overlay.hosts.count > 0
        hasOverlaySlugs = overlay.slugs.count > 0
        hasReplacedStores = !overlay.replacedStores.isEmpty
    }

    /// Routable hostname rows (after skipping).
    public var hostCount: Int { base.hosts.count + overlay.liveHostDelta }
    /// Stores present (deleted ones excluded).
    public var storeCount: Int { base.stores.count + overlay.liveStoreDelta }
    /// Route keys are dense in `0 ..< routeKeyCount`, so a cache can be a flat array.
    public var routeKeyCount: Int { hostSlots + storeSlots * base.domainBytes.count + base.passthrough.count }
    /// Changes held on top of the base; the feed compacts when it grows.
    public var overlaySize: Int { overlay.size }
    /// Approximate bytes held by the lookup indexes (hostnames, slugs, pass-through hosts);
    /// the store-id index kept for applying changes comes on top (about 50 bytes a store).
    public var indexMemoryFootprint: Int {
        base.memoryFootprint + overlay.hosts.memoryFootprint + overlay.slugs.memoryFootprint
    }

    public func store(_ index: Int32) -> StoreEntry {
        let position = Int(index)
        if position < baseStoreCount {
            if hasReplacedStores, let replacement = overlay.replacedStores[index] {
                return overlay.addedStores[Int(replacement)]
            }
            return base.stores[position]
        }
        return overlay.addedStores[position - baseStoreCount]
    }

    /// The decided availability alone, without copying the entry's strings and arrays.
    public func availability(_ index: Int32) -> StoreAvailability {
        let position = Int(index)
        if position < baseStoreCount {
            if hasReplacedStores, let replacement = overlay.replacedStores[index] {
                return overlay.addedStores[Int(replacement)].availability
            }
            return base.stores[position].availability
        }
        return overlay.addedStores[position - baseStoreCount].availability
    }

    /// The normalized hostname of an exact row (route key below the host slots), for logs and
    /// the admin endpoint.
    public func hostname(_ row: Int) -> String {
        if row < baseHostSlots { return String(decoding: base.hosts.key(row), as: UTF8.self) }
        return String(decoding: overlay.hosts.key(row - baseHostSlots), as: UTF8.self)
    }

    /// Lookup order (DESIGN.md section 5): exact hostname row; pass-through host; platform
    /// wildcard `<one label>.<domain>` by slug; not found. IP literals skip the
    /// store steps (they never name a store) but may be a configured pass-through host.
    /// `host` must already be normalized (`HostNormalizer`). No allocation.
    public func resolve(_ host: UnsafeRawBufferPointer, isIPLiteral: Bool) -> RouteResolution {
        if !isIPLiteral {
            let hash = ByteKeyIndex.hash(host)
            var row: (index: Int32, value: UInt32) = (-1, 0)
            var routeKeyOffset = 0
            var removed = false
            if hasOverlayHosts {
                row = overlay.hosts.find(host, hash: hash)
                if row.index >= 0 {
                    routeKeyOffset = baseHostSlots
                    removed = row.value == RouteOverlay.tombstone
                }
            }
            if row.index < 0 { row = base.hosts.find(host, hash: hash) }
            if row.index >= 0, !removed {
                let isCustom = row.value & RouteTableBuilder.customDomainFlag != 0
                return RouteResolution(
                    rule: .exact, storeIndex: Int32(bitPattern: row.value & ~RouteTableBuilder.customDomainFlag),
                    hostKind: isCustom ? .custom : .platform, routeKey: routeKeyOffset + Int(row.index))
            }
            if let passthrough = resolvePassthrough(host) { return passthrough }
            return resolveWildcard(host) ?? .notFound
        }
        return resolvePassthrough(host) ?? .notFound
    }

    /// Configured pass-through hosts come before the wildcard: a store whose slug is `app`
    /// must not capture the platform's own `app.<platform domain>`.
    private func resolvePassthrough(_ host: UnsafeRawBufferPointer) -> RouteResolution? {
        let entry = base.passthrough.find(host)
        guard entry.index >= 0 else { return nil }
        let upstreamIndex = Int32(bitPattern: entry.value)
        return RouteResolution(
            rule: .passthrough, storeIndex: -1, hostKind: .platform,
            upstreamIndex: upstreamIndex, upstream: passthroughUpstreams[Int(upstreamIndex)],
            routeKey: hostSlots + storeSlots * base.domainBytes.count + Int(entry.index))
    }

    /// Normalizes first (a raw `Host` value is fine); an invalid host resolves to notFound.
    /// For configuration checks, the admin endpoint and tests: allocates.
    public func resolve(_ host: String) -> RouteResolution {
        var normalized: [UInt8] = []
        var isIPLiteral = false
        if HostNormalizer.normalize(host, into: &normalized, isIPLiteral: &isIPLiteral) != nil { return .notFound }
        return normalized.withUnsafeBytes { resolve($0, isIPLiteral: isIPLiteral) }
    }

    /// `<label>.<domain>` with exactly one label before a configured platform domain. At most
    /// one domain can match: two domains leaving one label each would be the same string.
    private func resolveWildcard(_ host: UnsafeRawBufferPointer) -> RouteResolution? {
        let domains = base.domainBytes
        for domainIndex in 0 ..< domains.count {
            let labelEnd = domains[domainIndex].withUnsafeBytes { domain -> Int in
                Self.labelEnd(of: host, under: domain)
            }
            guard labelEnd > 0 else { continue }
            let label = UnsafeRawBufferPointer(rebasing: host[0 ..< labelEnd])
            let hash = ByteKeyIndex.hash(label)
            var slug: (index: Int32, value: UInt32) = (-1, 0)
            if hasOverlaySlugs { slug = overlay.slugs.find(label, hash: hash) }
            if slug.index < 0 { slug = base.slugs.find(label, hash: hash) }
            guard slug.index >= 0, slug.value != RouteOverlay.tombstone else { return nil }
            let storeIndex = Int32(bitPattern: slug.value)
            return RouteResolution(
                rule: .platformWildcard, storeIndex: storeIndex, hostKind: .platform,
                routeKey: hostSlots + Int(storeIndex) * domains.count + domainIndex)
        }
        return nil
    }

    /// Length of the single leading label if `host` is `<label>.<domain>`, else 0.
    private static func labelEnd(of host: UnsafeRawBufferPointer, under domain: UnsafeRawBufferPointer) -> Int {
        let labelEnd = host.count - domain.count - 1
        guard labelEnd > 0, host[labelEnd] == UInt8(ascii: ".") else { return 0 }
        var index = 0
        while index < domain.count {
            if host[labelEnd + 1 + index] != domain[index] { return 0 }
            index += 1
        }
        index = 0
        while index < labelEnd {
            if host[index] == UInt8(ascii: ".") { return 0 }
            index += 1
        }
        return labelEnd
    }
}
