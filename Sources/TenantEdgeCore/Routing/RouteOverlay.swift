/// What changed since a `RouteTableBase` was built: the hostnames, slugs and stores that the
/// change feed applied since the last full build or compaction.
///
/// Lookups consult the overlay first and the base second, so applying a batch costs a copy of
/// the overlay (small) rather than a rebuild of the base (a million hosts). A hostname or
/// slug that was removed stays in the overlay as a tombstone, so it hides the base's entry.
/// Stores keep the index they were first given: a changed base store gets its new entry in
/// `addedStores` and a redirect in `replacedStores`, so base hostnames pointing at it see
/// the new status without being touched.
struct RouteOverlay: Sendable {
    /// Value of a removed hostname, slug or store id. Never a real value: store indexes stay
    /// far below 2^31 - 1.
    static let tombstone: UInt32 = .max

    /// Normalized hostname -> store index | custom flag, or tombstone.
    var hosts = ByteKeyIndex(expectedCount: 0)
    /// Lowercase slug -> store index, or tombstone.
    var slugs = ByteKeyIndex(expectedCount: 0)
    /// Store id -> store index, or tombstone for a deleted store.
    var storeIds = ByteKeyIndex(expectedCount: 0)
    /// Index `base.stores.count + i`: new stores, and new entries of changed base stores.
    var addedStores: [StoreEntry] = []
    /// Parallel to `addedStores`: true for an entry that replaces a base store (not a store
    /// of its own, so never reached by index directly).
    var addedIsReplacement: [Bool] = []
    /// Base store index -> index into `addedStores` of its current entry.
    var replacedStores: [Int32: Int32] = [:]
    /// Store indexes whose store was deleted.
    var deletedStores: Set<Int32> = []
    var liveHostDelta = 0
    var liveStoreDelta = 0
    var skipped: [SkippedRow] = []

    /// Entries held; the feed compacts into a new base when this grows.
    var size: Int { hosts.count + slugs.count + addedStores.count }
}
