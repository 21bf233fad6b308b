import TenantEdgeCore

/// One read of the change log and of the current rows it names, taken in one REPEATABLE
/// READ transaction so the log entries and the rows describe the same instant.
///
/// Rows are re-read rather than taken from the log because the log holds only keys (DESIGN.md
/// section 4: the trigger never copies row data), and because the current row is what the
/// map must show whatever happened in between.
public struct ChangeBatch: Sendable, Equatable {
    /// Sequence numbers read, ascending.
    public var sequences: [Int64] = []
    /// Store ids the entries name -> the row now (nil: deleted).
    public var stores: [String: StoreRecord?] = [:]
    /// Hostnames the entries name, as the database spells them -> the row now (nil: gone).
    public var hostnames: [String: HostnameRecord?] = [:]
    /// The log's lowest and highest sequence at the time of the read (0 when empty).
    public var logMinimum: Int64 = 0
    public var logMaximum: Int64 = 0
    /// The read stopped at its row limit; more entries follow.
    public var hitLimit = false

    public init() {}

    /// Whether the log still reaches back to `lastSequence`: false when entries after it were
    /// pruned, or when the log is behind it (a restored or replaced database). Either way only
    /// a full load can be trusted.
    public func reaches(_ lastSequence: Int64) -> Bool {
        if logMaximum < lastSequence { return false }
        return logMinimum <= lastSequence + 1 || logMinimum == 0
    }

    /// Applies the rows to the map: stores first, so a hostname of a store created in the
    /// same batch finds it.
    public func apply(to editor: inout RouteTableEditor) {
        for (id, row) in stores.sorted(by: { $0.key < $1.key }) {
            if let row { editor.upsertStore(row) } else { editor.removeStore(id: id) }
        }
        // Removals first, so a rename to a spelling of the same normalized name survives.
        for (hostname, row) in hostnames.sorted(by: { $0.key < $1.key }) where row == nil {
            editor.removeHostname(hostname)
        }
        for (_, row) in hostnames.sorted(by: { $0.key < $1.key }) {
            if let row { editor.upsertHostname(row) }
        }
    }

    /// Whether the batch touches anything (an empty read publishes nothing).
    public var isEmpty: Bool { stores.isEmpty && hostnames.isEmpty }
}
