/// Walking every live row of a table: for the snapshot file and for compaction, which both
/// need the map as rows again without the change feed keeping a second copy of it.
extension RouteTable {
    /// Every store present, by index (base stores first, then stores added since).
    public func forEachStore(_ body: (_ index: Int32, _ entry: StoreEntry) -> Void) {
        let deleted = overlay.deletedStores
        for position in 0 ..< base.stores.count {
            let index = Int32(position)
            if !deleted.isEmpty, deleted.contains(index) { continue }
            body(index, store(index))
        }
        for (offset, entry) in overlay.addedStores.enumerated() where !overlay.addedIsReplacement[offset] {
            let index = Int32(base.stores.count + offset)
            if !deleted.isEmpty, deleted.contains(index) { continue }
            body(index, entry)
        }
    }

    /// Every routable hostname: its normalized bytes (valid only during the call), store
    /// index and whether it is a custom domain.
    public func forEachHostname(_ body: (_ host: UnsafeRawBufferPointer, _ storeIndex: Int32, _ isCustomDomain: Bool) -> Void) {
        let hasOverlay = overlay.hosts.count > 0
        func emit(_ key: ArraySlice<UInt8>, _ value: UInt32) {
            let storeIndex = Int32(bitPattern: value & ~RouteTableBuilder.customDomainFlag)
            key.withUnsafeBytes { body($0, storeIndex, value & RouteTableBuilder.customDomainFlag != 0) }
        }
        for row in 0 ..< base.hosts.count {
            let key = base.hosts.key(row)
            if hasOverlay, key.withUnsafeBytes({ overlay.hosts.find($0).index >= 0 }) { continue }
            emit(key, base.hosts.value(at: Int32(row)))
        }
        for row in 0 ..< overlay.hosts.count {
            let value = overlay.hosts.value(at: Int32(row))
            if value == RouteOverlay.tombstone { continue }
            emit(overlay.hosts.key(row), value)
        }
    }
}
