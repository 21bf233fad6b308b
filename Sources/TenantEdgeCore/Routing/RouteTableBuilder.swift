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
        var id = record.id, slug = record.slug
        id.withUTF8 { id in
            slug.withUTF8 { slug in
                addStore(id: UnsafeRawBufferPointer(id), slug: UnsafeRawBufferPointer(slug),
                         status: record.status, isActive: record.isActive)
            }
        }
    }

    /// `addStore` from column bytes, as the loader's binary COPY hands them over: no `String`
    /// per row (a NULL column arrives as an empty buffer and is skipped like `""`).
    public mutating func addStore(id: UnsafeRawBufferPointer, slug: UnsafeRawBufferPointer, status: String, isActive: Bool) {
        addStore(id: id, slug: slug, status: status, isActive: isActive, reusing: nil)
    }

    /// A store of an earlier table (compaction): the entry is kept as is, sharing its bytes.
    mutating func addStore(_ entry: StoreEntry) {
        entry.idBytes.withUnsafeBytes { id in
            entry.slugBytes.withUnsafeBytes { slug in
                addStore(id: id, slug: slug, status: entry.status, isActive: entry.isActive, reusing: entry)
            }
        }
    }

    private mutating func addStore(
        id: UnsafeRawBufferPointer, slug: UnsafeRawBufferPointer, status: String, isActive: Bool, reusing entry: StoreEntry?
    ) {
        let row = storeRows
        storeRows += 1
        let storeIndex = UInt32(stores.count)
        guard id.count <= ByteKeyIndex.maxKeyLength else {
            skipped.append(SkippedRow(source: .store, index: row, value: Self.text(id), reason: .invalidStoreId))
            return
        }
        guard storeIds.insert(id, value: storeIndex).inserted else {
            skipped.append(SkippedRow(source: .store, index: row, value: Self.text(id), reason: .duplicateStoreId))
            return
        }
        stores.append(entry ?? StoreEntry(id: id, slug: slug, status: status, isActive: isActive))
        guard Self.normalizeLabel(slug, into: &scratch) else {
            skipped.append(SkippedRow(source: .store, index: row, value: Self.text(slug), reason: .invalidSlug))
            return
        }
        if !slugs.insert(scratch, value: storeIndex).inserted {
            skipped.append(SkippedRow(source: .store, index: row, value: Self.text(slug), reason: .duplicateSlug))
        }
    }

    public mutating func addHostname(_ record: HostnameRecord) {
        var hostname = record.hostname, storeId = record.storeId
        hostname.withUTF8 { hostname in
            storeId.withUTF8 { storeId in
                addHostname(hostname: UnsafeRawBufferPointer(hostname), storeId: UnsafeRawBufferPointer(storeId),
                            isCustomDomain: record.isCustomDomain)
            }
        }
    }

    /// `addHostname` from column bytes (see `addStore(id:slug:status:isActive:)`).
    public mutating func addHostname(hostname: UnsafeRawBufferPointer, storeId: UnsafeRawBufferPointer, isCustomDomain: Bool) {
        let row = hostnameRows
        hostnameRows += 1
        var isIPLiteral = false
        if let error = HostNormalizer.normalize(hostname, into: &scratch, isIPLiteral: &isIPLiteral) {
            skipped.append(SkippedRow(source: .hostname, index: row, value: Self.text(hostname), reason: .invalidHost(error)))
            return
        }
        if isIPLiteral {
            skipped.append(SkippedRow(source: .hostname, index: row, value: Self.text(hostname), reason: .ipLiteral))
            return
        }
        // The store is checked before the hostname is claimed, so a dangling row never
        // shadows a later valid row for the same name.
        let store = storeIds.find(storeId)
        guard store.index >= 0 else {
            skipped.append(SkippedRow(source: .hostname, index: row, value: Self.text(hostname), reason: .danglingStoreId))
            return
        }
        let value = store.value | (isCustomDomain ? Self.customDomainFlag : 0)
        if !hosts.insert(scratch, value: value).inserted {
            skipped.append(SkippedRow(source: .hostname, index: row, value: Self.text(hostname), reason: .duplicateHostname))
        }
    }

    /// A skipped row's value for the log; invalid UTF-8 is shown repaired rather than lost.
    private static func text(_ bytes: UnsafeRawBufferPointer) -> String {
        String(decoding: bytes, as: UTF8.self)
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
        var slug = slug
        return slug.withUTF8 { normalizeLabel(UnsafeRawBufferPointer($0), into: &out) }
    }

    static func normalizeLabel(_ slug: UnsafeRawBufferPointer, into out: inout [UInt8]) -> Bool {
        out.removeAll(keepingCapacity: true)
        for byte in slug {
            guard let lowered = HostNormalizer.hostByte(byte) else { return false }
            out.append(lowered)
            if out.count > HostNormalizer.maxLabelLength { return false }
        }
        return !out.isEmpty
    }
}
