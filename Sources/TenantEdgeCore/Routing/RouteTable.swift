/// One immutable snapshot of every route: built off the hot path from `RouteMapData` and
/// `RoutingPolicy`, then shared by all workers, which read it without locks; a sync builds a
/// new one and swaps the reference.
///
/// `resolve` is the per-request path: it hashes the normalized host bytes into arena-backed
/// open-addressing indexes (`ByteKeyIndex`) and allocates nothing, creates no `String` and
/// uses no Foundation. Hostnames are kept only as bytes in one arena, so a million of them
/// cost tens of megabytes, not a heap object each.
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

    private let stores: [StoreEntry]
    private let hosts: ByteKeyIndex
    private let slugs: ByteKeyIndex
    private let domainBytes: [[UInt8]]
    private let passthrough: ByteKeyIndex

    public init(data: RouteMapData, policy: RoutingPolicy, generation: UInt64) {
        let built = RouteTableBuilder(data: data, policy: policy)
        self.generation = generation
        sequence = data.sequence
        skippedRows = built.skipped
        platformDomains = built.domainNames
        passthroughUpstreams = built.upstreamNames
        stores = built.stores
        hosts = built.hosts
        slugs = built.slugs
        domainBytes = built.domainBytes
        passthrough = built.passthrough
    }

    /// Routable hostname rows (after skipping).
    public var hostCount: Int { hosts.count }
    public var storeCount: Int { stores.count }
    /// Route keys are dense in `0 ..< routeKeyCount`, so a cache can be a flat array.
    public var routeKeyCount: Int { hostCount + storeCount * domainBytes.count + passthrough.count }
    /// Approximate bytes held by the indexes (hostnames, slugs, pass-through hosts).
    public var indexMemoryFootprint: Int {
        hosts.memoryFootprint + slugs.memoryFootprint + passthrough.memoryFootprint
    }

    public func store(_ index: Int32) -> StoreEntry { stores[Int(index)] }

    /// The decided availability alone, without copying the entry's strings and arrays.
    public func availability(_ index: Int32) -> StoreAvailability { stores[Int(index)].availability }

    /// The normalized hostname of an exact row (route key below `hostCount`), for logs and
    /// the admin endpoint.
    public func hostname(_ row: Int) -> String { String(decoding: hosts.key(row), as: UTF8.self) }

    /// Lookup order (DESIGN.md section 5): exact hostname row; platform wildcard
    /// `<one label>.<domain>` by slug; pass-through host; not found. IP literals skip the
    /// store steps (they never name a store) but may be a configured pass-through host.
    /// `host` must already be normalized (`HostNormalizer`). No allocation.
    public func resolve(_ host: UnsafeRawBufferPointer, isIPLiteral: Bool) -> RouteResolution {
        // The operator's pass-through hosts are checked first, although DESIGN.md lists them
        // third: otherwise a store whose slug is `api` (or a customer row naming the
        // platform's own host) would take over the platform's API host.
        let entry = passthrough.find(host)
        if entry.index >= 0 {
            let upstreamIndex = Int32(bitPattern: entry.value)
            return RouteResolution(
                rule: .passthrough, storeIndex: -1, hostKind: .platform,
                upstreamIndex: upstreamIndex, upstream: passthroughUpstreams[Int(upstreamIndex)],
                routeKey: hostCount + storeCount * domainBytes.count + Int(entry.index))
        }
        guard !isIPLiteral else { return .notFound }
        let row = hosts.find(host)
        if row.index >= 0 {
            let isCustom = row.value & RouteTableBuilder.customDomainFlag != 0
            return RouteResolution(
                rule: .exact, storeIndex: Int32(bitPattern: row.value & ~RouteTableBuilder.customDomainFlag),
                hostKind: isCustom ? .custom : .platform, routeKey: Int(row.index))
        }
        return resolveWildcard(host) ?? .notFound
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
        for domainIndex in 0 ..< domainBytes.count {
            let labelEnd = domainBytes[domainIndex].withUnsafeBytes { domain -> Int in
                Self.labelEnd(of: host, under: domain)
            }
            guard labelEnd > 0 else { continue }
            let slug = slugs.find(UnsafeRawBufferPointer(rebasing: host[0 ..< labelEnd]))
            guard slug.index >= 0 else { return nil }
            let storeIndex = Int32(bitPattern: slug.value)
            return RouteResolution(
                rule: .platformWildcard, storeIndex: storeIndex, hostKind: .platform,
                routeKey: hostCount + Int(storeIndex) * domainBytes.count + domainIndex)
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
