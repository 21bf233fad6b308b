/// Builds the indexes of a `RouteTableBase` row by row, off the hot path. Every row that
/// cannot be routed is recorded in `skipped` and left out; nothing is fatal.
///
/// Row by row (rather than from a whole `RouteMapData`) so the loader can stream a million
/// rows from a cursor into it without holding them all as `String`s first: that copy, not the
/// indexes, is what decides peak memory at start. Stores must all be added before hostnames.
public struct RouteTableBuilder {
    /// Set in a host entry's value when the row is a custom domain; the low bits are the
    /// store index (stores are far fewer than 2^31).
    static let customDomainFlag: UInt32 = 1 << 31

    var stores: [StoreEntry] = []
    /// hostname -> store index | customDomainFlag; number = host row index.
    var hosts: ByteKeyIndex
    /// lowercase slug -> store index.
    var slugs: ByteKeyIndex
    /// store id -> store index, kept so changes can find a store by id later.
    var storeIds: ByteKeyIndex
    var skipped: [SkippedRow] = []
    private let policy: RoutingPolicy
    private var storeRows = 0
    private var hostnameRows = 0

    /// Reused for every normalization so building a million rows makes no temporaries.
    private var scratch: [UInt8] = []

    /// Expected counts only size the indexes; more rows than expected still work (they grow).
    public init(policy: RoutingPolicy, expectedStores: Int, expectedHostnames: Int, expectedHostnameBytes: Int = 0) {
        self.policy = policy
        hosts = ByteKeyIndex(expectedCount: expectedHostnames,
                             expectedKeyBytes: expectedHostnameBytes > 0 ? expectedHostnameBytes : expectedHostnames * 24)
        slugs = ByteKeyIndex(expectedCount: expectedStores, expectedKeyBytes: expectedStores * 16)
        storeIds = ByteKeyIndex(expectedCount: expectedStores, expectedKeyBytes: expectedStores * 36)
        scratch.reserveCapacity(256)
        stores.reserveCapacity(expectedStores)
    }

    init(data: RouteMapData, policy: RoutingPolicy) {
        let hostBytes = data.hostnames.reduce(0) { $0 + $1.hostname.utf8.count }
        self.init(policy: policy, expectedStores: data.stores.count, expectedHostnames: data.hostnames.count,
                  expectedHostnameBytes: hostBytes)
        for record in data.stores { addStore(record) }
        for record in data.hostnames { addHostname(record) }
    }

    public mutating func addStore(_ record: StoreRecord) {
        let row = storeRows
        storeRows += 1
        let storeIndex = UInt32(stores.count)
        var id = record.id
        let inserted = id.withUTF8 { bytes -> Bool? in
            guard bytes.count <= ByteKeyIndex.maxKeyLength else { return nil }
            return storeIds.insert(UnsafeRawBufferPointer(bytes), value: storeIndex).inserted
        }
        guard let inserted, inserted else {
            let reason: SkippedRow.Reason = inserted == nil ? .invalidStoreId : .duplicateStoreId
            skipped.append(SkippedRow(source: .store, index: row, value: record.id, reason: reason))
            return
        }
        stores.append(StoreEntry(record: record))
        guard Self.normalizeLabel(record.slug, into: &scratch) else {
            skipped.append(SkippedRow(source: .store, index: row, value: record.slug, reason: .invalidSlug))
            return
        }
        if !slugs.insert(scratch, value: storeIndex).inserted {
            skipped.append(SkippedRow(source: .store, index: row, value: record.slug, reason: .duplicateSlug))
        }
    }

    public mutating func addHostname(_ record: HostnameRecord) {
        let row = hostnameRows
        hostnameRows += 1
        var isIPLiteral = false
        if let error = HostNormalizer.normalize(record.hostname, into: &scratch, isIPLiteral: &isIPLiteral) {
            skipped.append(SkippedRow(source: .hostname, index: row, value: record.hostname, reason: .invalidHost(error)))
            return
        }
        if isIPLiteral {
            skipped.append(SkippedRow(source: .hostname, index: row, value: record.hostname, reason: .ipLiteral))
            return
        }
        // The store is checked before the hostname is claimed, so a dangling row never
        // shadows a later valid row for the same name.
        var storeId = record.storeId
        let store = storeId.withUTF8 { storeIds.find(UnsafeRawBufferPointer($0)) }
        guard store.index >= 0 else {
            skipped.append(SkippedRow(source: .hostname, index: row, value: record.hostname, reason: .danglingStoreId))
            return
        }
        let value = store.value | (record.isCustomDomain ? Self.customDomainFlag : 0)
        if !hosts.insert(scratch, value: value).inserted {
            skipped.append(SkippedRow(source: .hostname, index: row, value: record.hostname, reason: .duplicateHostname))
        }
    }

    /// A hostname already normalized by an earlier table (compaction), pointing at a store of
    /// this builder by index.
    mutating func addNormalizedHostname(_ host: UnsafeRawBufferPointer, storeIndex: UInt32, isCustomDomain: Bool) {
        hostnameRows += 1
        _ = hosts.insert(host, value: storeIndex | (isCustomDomain ? Self.customDomainFlag : 0))
    }

    /// The finished indexes, with the configured platform domains and pass-through hosts.
    public consuming func finish() -> RouteTableBase {
        var domainBytes: [[UInt8]] = []
        var domainNames: [String] = []
        var isIPLiteral = false
        for (position, domain) in policy.platformDomains.enumerated() {
            if let error = HostNormalizer.normalize(domain, into: &scratch, isIPLiteral: &isIPLiteral) {
                skipped.append(SkippedRow(source: .platformDomain, index: position, value: domain, reason: .invalidHost(error)))
            } else if isIPLiteral {
                skipped.append(SkippedRow(source: .platformDomain, index: position, value: domain, reason: .ipLiteral))
            } else if !domainBytes.contains(scratch) {
                domainBytes.append(scratch)
                domainNames.append(String(decoding: scratch, as: UTF8.self))
            }
        }
        // Sorted by host so route keys and upstream indexes are the same for the same config.
        let upstreamNames = Array(Set(policy.passthroughHosts.values)).sorted()
        var passthrough = ByteKeyIndex(expectedCount: policy.passthroughHosts.count)
        for (host, upstream) in policy.passthroughHosts.sorted(by: { $0.key < $1.key }) {
            if let error = HostNormalizer.normalize(host, into: &scratch, isIPLiteral: &isIPLiteral) {
                skipped.append(SkippedRow(source: .passthroughHost, index: -1, value: host, reason: .invalidHost(error)))
                continue
            }
            // Present by construction: upstreamNames holds every value of the dictionary.
            let upstreamIndex = upstreamNames.firstIndex(of: upstream) ?? 0
            _ = passthrough.insert(scratch, value: UInt32(upstreamIndex))
        }
        return RouteTableBase(
            policy: policy, stores: stores, hosts: hosts, slugs: slugs, storeIds: storeIds,
            domainBytes: domainBytes, domainNames: domainNames, passthrough: passthrough,
            upstreamNames: upstreamNames, skipped: skipped)
    }

    /// A slug reaches a store through `<slug>.<domain>` only if it is one valid DNS label;
    /// stored lowercase because hosts are looked up lowercase.
    static func normalizeLabel(_ slug: String, into out: inout [UInt8]) -> Bool {
        out.removeAll(keepingCapacity: true)
        for byte in slug.utf8 {
            guard let lowered = HostNormalizer.hostByte(byte) else { return false }
            out.append(lowered)
            if out.count > HostNormalizer.maxLabelLength { return false }
        }
        return !out.isEmpty
    }
}
