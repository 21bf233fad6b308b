/// The feed's position in `tenant_edge_changes`: the highest sequence applied, and the
/// sequence numbers below it that were not there when it was read.
///
/// Why holes: a `bigserial` is taken when a row is inserted, not when its transaction
/// commits, so a reader can see 12 committed while 11 is still in flight. Reading
/// `seq > 12` next time would skip 11 forever. Every number skipped over is kept for
/// `holeLifetime` and read again with each batch; most are rolled-back transactions and
/// expire. A late notification for a number at or below the position (the transaction
/// committed after we moved on) is read again too. Re-reading is safe because applying a
/// change re-reads the rows it names (idempotent).
public struct ChangeLogCursor: Sendable, Equatable {
    /// Nanoseconds a skipped number is looked for again.
    public static let holeLifetime: Int64 = 60_000_000_000
    /// More open holes than this means something is badly off: the caller does a full load.
    public static let maxHoles = 10_000

    public private(set) var lastSequence: Int64
    /// Skipped sequence number -> when it was first missed.
    public private(set) var holes: [Int64: Int64] = [:]
    /// Notified numbers at or below `lastSequence` that are not known to be applied.
    public private(set) var late: Set<Int64> = []
    /// Numbers applied by recent batches: a notification usually arrives after the batch that
    /// already read its row (the batch was reading anyway), and is then no news.
    private var recentlyApplied: Set<Int64> = []
    private static let recentLimit = 200_000

    public init(lastSequence: Int64) {
        self.lastSequence = lastSequence
    }

    /// Numbers to read again in the next batch, besides everything after `lastSequence`.
    public var recheck: [Int64] { (Array(holes.keys) + late).sorted() }

    /// Whether a notified number is news (after the position, or a hole being waited for).
    public mutating func noteNotified(_ sequence: Int64) -> Bool {
        if sequence > lastSequence || holes[sequence] != nil { return true }
        if recentlyApplied.contains(sequence) { return false }
        late.insert(sequence)
        return true
    }

    /// Records a batch read at `now`: `seen` are the sequence numbers it returned (any order).
    /// Returns false when too many holes are open (the caller should do a full load).
    public mutating func advance(seen: [Int64], now: Int64) -> Bool {
        var next = lastSequence
        for sequence in seen.sorted() {
            holes[sequence] = nil
            late.remove(sequence)
            recentlyApplied.insert(sequence)
            guard sequence > next else { continue }
            var missing = next + 1
            while missing < sequence, holes.count <= Self.maxHoles {
                holes[missing] = now
                missing += 1
            }
            next = sequence
        }
        lastSequence = next
        // A late number that was re-read and not found was rolled back or pruned: forget it.
        late.removeAll()
        holes = holes.filter { now - $0.value < Self.holeLifetime }
        if recentlyApplied.count > Self.recentLimit {
            let floor = lastSequence - Int64(Self.recentLimit / 2)
            recentlyApplied = recentlyApplied.filter { $0 > floor }
        }
        return holes.count <= Self.maxHoles
    }

    /// After a full load at `sequence`: nothing before it matters any more.
    public mutating func reset(to sequence: Int64) {
        lastSequence = sequence
        holes.removeAll()
        late.removeAll()
        recentlyApplied.removeAll()
    }
}
