/// Applies store and hostname changes to a route map and produces the next `RouteTable`.
///
/// The change feed keeps one editor. Each operation touches only the overlay, so a batch of
/// changes costs a copy of the overlay when the next table is made, whatever the size of
/// the base: that is what keeps propagation in milliseconds with a million hostnames. When
/// the overlay grows, `compacted` folds it into a new base.
///
/// Operations take the database's current row (or its absence), not a diff: applying the
/// same change twice, or an old one late, leaves the same result. The feed relies on that
/// when it re-reads a change it may already have applied.
public struct RouteTableEditor {
    public private(set) var base: RouteTableBase
    var overlay: RouteOverlay
    private var scratch: [UInt8] = []

    public init(table: RouteTable) {
        base = table.base
        overlay = table.overlay
        scratch.reserveCapacity(256)
    }

    public func table(generation: UInt64, sequence: Int64) -> RouteTable {
        RouteTable(base: base, overlay: overlay, generation: generation, sequence: sequence)
    }

    public var overlaySize: Int { overlay.size }
    public var baseHostCount: Int { base.hosts.count }
    /// Rows skipped by operations since the base was built.
    public var overlaySkippedRows: [SkippedRow] { overlay.skipped }

    // MARK: Stores

    /// Adds or updates the store with `record.id`.
    public mutating func upsertStore(_ record: StoreRecord) {
        let entry = StoreEntry(record: record)
        let index: Int32
        let oldSlug: String?
        if let existing = storeIndex(id: record.id) {
            index = existing
            oldSlug = current(existing).slug
            let position = Int(existing)
            if position < base.stores.count {
                if let replacement = overlay.replacedStores[existing] {
                    overlay.addedStores[Int(replacement)] = entry
                } else {
                    overlay.replacedStores[existing] = Int32(overlay.addedStores.count)
                    overlay.addedStores.append(entry)
                    overlay.addedIsReplacement.append(true)
                }
            } else {
                overlay.addedStores[position - base.stores.count] = entry
            }
        } else {
            guard record.id.utf8.count <= ByteKeyIndex.maxKeyLength else {
                overlay.skipped.append(SkippedRow(source: .store, index: -1, value: record.id, reason: .invalidStoreId))
                return
            }
            index = Int32(base.stores.count + overlay.addedStores.count)
            oldSlug = nil
            overlay.addedStores.append(entry)
            overlay.addedIsReplacement.append(false)
            Self.setValue(&overlay.storeIds, key: Array(record.id.utf8), value: UInt32(index))
            overlay.liveStoreDelta += 1
        }
        if let oldSlug, oldSlug != record.slug { releaseSlug(oldSlug, of: index) }
        guard RouteTableBuilder.normalizeLabel(record.slug, into: &scratch) else {
            overlay.skipped.append(SkippedRow(source: .store, index: -1, value: record.slug, reason: .invalidSlug))
            return
        }
        let key = scratch
        let holder = lookup(key, overlay: overlay.slugs, base: base.slugs)
        if let holder, holder != UInt32(index), isLive(Int32(bitPattern: holder)) {
            overlay.skipped.append(SkippedRow(source: .store, index: -1, value: record.slug, reason: .duplicateSlug))
            return
        }
        if holder != UInt32(index) { Self.setValue(&overlay.slugs, key: key, value: UInt32(index)) }
    }

    /// Removes the store with `id` and its platform wildcard. Its hostname rows are removed
    /// by their own changes (the foreign key cascades, and each cascaded delete is logged).
    public mutating func removeStore(id: String) {
        guard let index = storeIndex(id: id) else { return }
        releaseSlug(current(index).slug, of: index)
        Self.setValue(&overlay.storeIds, key: Array(id.utf8), value: RouteOverlay.tombstone)
        overlay.deletedStores.insert(index)
        overlay.liveStoreDelta -= 1
    }

    // MARK: Hostnames

    /// Adds or updates a hostname row; a row that fails normalization, or names no known
    /// store, is skipped and reported, and any earlier entry for that name is removed.
    public mutating func upsertHostname(_ record: HostnameRecord) {
        var isIPLiteral = false
        if let error = HostNormalizer.normalize(record.hostname, into: &scratch, isIPLiteral: &isIPLiteral) {
            overlay.skipped.append(SkippedRow(source: .hostname, index: -1, value: record.hostname, reason: .invalidHost(error)))
            return
        }
        if isIPLiteral {
            overlay.skipped.append(SkippedRow(source: .hostname, index: -1, value: record.hostname, reason: .ipLiteral))
            return
        }
        let key = scratch
        guard let store = storeIndex(id: record.storeId) else {
            overlay.skipped.append(SkippedRow(source: .hostname, index: -1, value: record.hostname, reason: .danglingStoreId))
            removeNormalizedHost(key)
            return
        }
        let value = UInt32(store) | (record.isCustomDomain ? RouteTableBuilder.customDomainFlag : 0)
        let existing = lookup(key, overlay: overlay.hosts, base: base.hosts)
        if existing == value { return }
        if existing == nil || existing == RouteOverlay.tombstone { overlay.liveHostDelta += 1 }
        Self.setValue(&overlay.hosts, key: key, value: value)
    }

    /// Removes the row for `hostname` as the database spelled it; nothing if it is not routed.
    public mutating func removeHostname(_ hostname: String) {
        var isIPLiteral = false
        guard HostNormalizer.normalize(hostname, into: &scratch, isIPLiteral: &isIPLiteral) == nil else { return }
        removeNormalizedHost(scratch)
    }

    // MARK: Compaction

    /// A table whose base holds every live row and whose overlay is empty: the same routes,
    /// with lookups back to one probe. Store indexes and route keys change, so it must be
    /// published as a new generation like any other table.
    public static func compact(_ table: RouteTable, generation: UInt64) -> RouteTable {
        var builder = RouteTableBuilder(
            policy: table.base.policy, expectedStores: table.storeCount, expectedHostnames: table.hostCount,
            expectedHostnameBytes: table.hostCount * 24)
        var newIndex = [Int32](repeating: -1, count: table.base.stores.count + table.overlay.addedStores.count)
        var next: Int32 = 0
        table.forEachStore { index, entry in
            builder.addStore(entry)
            // A store the builder skipped (it cannot: ids were unique already) keeps -1.
            if builder.stores.count == Int(next) + 1 {
                newIndex[Int(index)] = next
                next += 1
            }
        }
        table.forEachHostname { host, storeIndex, isCustom in
            let mapped = newIndex[Int(storeIndex)]
            guard mapped >= 0 else { return }
            builder.addNormalizedHostname(host, storeIndex: UInt32(mapped), isCustomDomain: isCustom)
        }
        return RouteTable(base: builder.finish(), generation: generation, sequence: table.sequence)
    }

    // MARK: Reading the current state

    /// The live index of the store with `id`, if any.
    func storeIndex(id: String) -> Int32? {
        let key = Array(id.utf8)
        guard key.count <= ByteKeyIndex.maxKeyLength,
              let value = lookup(key, overlay: overlay.storeIds, base: base.storeIds),
              value != RouteOverlay.tombstone else { return nil }
        return Int32(bitPattern: value)
    }

    private func current(_ index: Int32) -> StoreEntry {
        let position = Int(index)
        if position < base.stores.count {
            if let replacement = overlay.replacedStores[index] { return overlay.addedStores[Int(replacement)] }
            return base.stores[position]
        }
        return overlay.addedStores[position - base.stores.count]
    }

    private func isLive(_ index: Int32) -> Bool {
        Int(index) < base.stores.count + overlay.addedStores.count && !overlay.deletedStores.contains(index)
    }

    /// The overlay's value if the key is there (tombstone included), else the base's.
    private func lookup(_ key: [UInt8], overlay: ByteKeyIndex, base: ByteKeyIndex) -> UInt32? {
        key.withUnsafeBytes { bytes in
            let hash = ByteKeyIndex.hash(bytes)
            let inOverlay = overlay.find(bytes, hash: hash)
            if inOverlay.index >= 0 { return inOverlay.value }
            let inBase = base.find(bytes, hash: hash)
            return inBase.index >= 0 ? inBase.value : nil
        }
    }

    /// Static on purpose: as an instance method, the call would borrow a copy of `self`, whose
    /// extra reference makes every insert copy the whole overlay (quadratic batches).
    private static func setValue(_ index: inout ByteKeyIndex, key: [UInt8], value: UInt32) {
        let result = index.insert(key, value: value)
        if !result.inserted { index.setValue(value, at: result.index) }
    }

    private mutating func removeNormalizedHost(_ key: [UInt8]) {
        guard let existing = lookup(key, overlay: overlay.hosts, base: base.hosts),
              existing != RouteOverlay.tombstone else { return }
        overlay.liveHostDelta -= 1
        Self.setValue(&overlay.hosts, key: key, value: RouteOverlay.tombstone)
    }

    /// Drops the wildcard for `slug` if it still points at `index`.
    private mutating func releaseSlug(_ slug: String, of index: Int32) {
        guard RouteTableBuilder.normalizeLabel(slug, into: &scratch) else { return }
        let key = scratch
        guard lookup(key, overlay: overlay.slugs, base: base.slugs) == UInt32(index) else { return }
        Self.setValue(&overlay.slugs, key: key, value: RouteOverlay.tombstone)
    }
}
