/// Builds the indexes of a `RouteTable` from database rows and policy, off the hot path.
/// Every row that cannot be routed is recorded in `skipped` and left out; nothing is fatal.
struct RouteTableBuilder {
    /// Set in a host entry's value when the row is a custom domain; the low bits are the
    /// store index (stores are far fewer than 2^31).
    static let customDomainFlag: UInt32 = 1 << 31

    var stores: [StoreEntry] = []
    /// hostname -> store index | customDomainFlag; number = host row index.
    var hosts: ByteKeyIndex
    /// lowercase slug -> store index.
    var slugs: ByteKeyIndex
    var domainBytes: [[UInt8]] = []
    var domainNames: [String] = []
    /// host -> index into `upstreamNames`.
    var passthrough: ByteKeyIndex
    var upstreamNames: [String] = []
    var skipped: [SkippedRow] = []

    /// Reused for every normalization so building a million rows makes no temporaries.
    private var scratch: [UInt8] = []

    init(data: RouteMapData, policy: RoutingPolicy) {
        let hostBytes = data.hostnames.reduce(0) { $0 + $1.hostname.utf8.count }
        hosts = ByteKeyIndex(expectedCount: data.hostnames.count, expectedKeyBytes: hostBytes)
        slugs = ByteKeyIndex(expectedCount: data.stores.count, expectedKeyBytes: data.stores.count * 16)
        passthrough = ByteKeyIndex(expectedCount: policy.passthroughHosts.count)
        scratch.reserveCapacity(256)
        stores.reserveCapacity(data.stores.count)

        let storeIds = addStores(data.stores)
        addHostnames(data.hostnames, storeIds: storeIds)
        addPlatformDomains(policy.platformDomains)
        addPassthroughHosts(policy.passthroughHosts)
    }

    /// Returns the id index (store index by id bytes) for resolving hostname rows.
    private mutating func addStores(_ records: [StoreRecord]) -> ByteKeyIndex {
        var ids = ByteKeyIndex(expectedCount: records.count, expectedKeyBytes: records.count * 36)
        for (row, record) in records.enumerated() {
            let storeIndex = UInt32(stores.count)
            var id = record.id
            let inserted = id.withUTF8 { bytes -> Bool? in
                guard bytes.count <= ByteKeyIndex.maxKeyLength else { return nil }
                return ids.insert(UnsafeRawBufferPointer(bytes), value: storeIndex).inserted
            }
            guard let inserted, inserted else {
                let reason: SkippedRow.Reason = inserted == nil ? .invalidStoreId : .duplicateStoreId
                skipped.append(SkippedRow(source: .store, index: row, value: record.id, reason: reason))
                continue
            }
            stores.append(StoreEntry(record: record))
            guard Self.normalizeLabel(record.slug, into: &scratch) else {
                skipped.append(SkippedRow(source: .store, index: row, value: record.slug, reason: .invalidSlug))
                continue
            }
            if !slugs.insert(scratch, value: storeIndex).inserted {
                skipped.append(SkippedRow(source: .store, index: row, value: record.slug, reason: .duplicateSlug))
            }
        }
        return ids
    }

    private mutating func addHostnames(_ records: [HostnameRecord], storeIds: ByteKeyIndex) {
        var isIPLiteral = false
        for (row, record) in records.enumerated() {
            if let error = HostNormalizer.normalize(record.hostname, into: &scratch, isIPLiteral: &isIPLiteral) {
                skipped.append(SkippedRow(source: .hostname, index: row, value: record.hostname, reason: .invalidHost(error)))
                continue
            }
            if isIPLiteral {
                skipped.append(SkippedRow(source: .hostname, index: row, value: record.hostname, reason: .ipLiteral))
                continue
            }
            // The store is checked before the hostname is claimed, so a dangling row never
            // shadows a later valid row for the same name.
            var storeId = record.storeId
            let store = storeId.withUTF8 { storeIds.find(UnsafeRawBufferPointer($0)) }
            guard store.index >= 0 else {
                skipped.append(SkippedRow(source: .hostname, index: row, value: record.hostname, reason: .danglingStoreId))
                continue
            }
            let value = store.value | (record.isCustomDomain ? Self.customDomainFlag : 0)
            if !hosts.insert(scratch, value: value).inserted {
                skipped.append(SkippedRow(source: .hostname, index: row, value: record.hostname, reason: .duplicateHostname))
            }
        }
    }

    private mutating func addPlatformDomains(_ domains: [String]) {
        var isIPLiteral = false
        for (position, domain) in domains.enumerated() {
            if let error = HostNormalizer.normalize(domain, into: &scratch, isIPLiteral: &isIPLiteral) {
                skipped.append(SkippedRow(source: .platformDomain, index: position, value: domain, reason: .invalidHost(error)))
            } else if isIPLiteral {
                skipped.append(SkippedRow(source: .platformDomain, index: position, value: domain, reason: .ipLiteral))
            } else if !domainBytes.contains(scratch) {
                domainBytes.append(scratch)
                domainNames.append(String(decoding: scratch, as: UTF8.self))
            }
        }
    }

    /// Sorted by host so route keys and upstream indexes are the same for the same config.
    private mutating func addPassthroughHosts(_ hostsToUpstreams: [String: String]) {
        upstreamNames = Array(Set(hostsToUpstreams.values)).sorted()
        var isIPLiteral = false
        for (host, upstream) in hostsToUpstreams.sorted(by: { $0.key < $1.key }) {
            if let error = HostNormalizer.normalize(host, into: &scratch, isIPLiteral: &isIPLiteral) {
                skipped.append(SkippedRow(source: .passthroughHost, index: -1, value: host, reason: .invalidHost(error)))
                continue
            }
            // Present by construction: upstreamNames holds every value of the dictionary.
            let upstreamIndex = upstreamNames.firstIndex(of: upstream) ?? 0
            _ = passthrough.insert(scratch, value: UInt32(upstreamIndex))
        }
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
