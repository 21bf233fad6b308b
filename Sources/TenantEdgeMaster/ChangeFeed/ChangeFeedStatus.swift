import Foundation
import Synchronization

/// What the change feed reports about itself, readable from any thread: the admin endpoint
/// (`/readyz`, `/metrics`, a later issue) reads it; until then the feed logs it as lines.
public final class ChangeFeedStatus: Sendable {
    public struct Snapshot: Sendable, Equatable {
        /// A map is being served (from the database or from the snapshot file).
        public var ready = false
        /// Why the map may be stale (database unreachable, serving the snapshot, polling
        /// instead of LISTEN); nil when the feed follows the database normally.
        public var degradedReason: String?
        public var generation: UInt64 = 0
        /// Routable hostnames in the published map.
        public var entries = 0
        public var stores = 0
        public var lastAppliedSequence: Int64 = 0
        /// Wall-clock time of the last successful full load or change batch.
        public var lastSyncTime: Date?
        public var notificationsReceived = 0
        /// Connections established after the first one.
        public var reconnects = 0
        public var skippedRows = 0
        /// True while notifications do not work and the log is polled instead.
        public var polling = false
        public var lastSnapshotError: String?

        public init() {}

        /// Seconds since `lastSyncTime`, or nil if there was no sync yet.
        public func syncAge(now: Date = Date()) -> Double? {
            lastSyncTime.map { now.timeIntervalSince($0) }
        }

        /// One log line's metadata.
        public var logFields: [String: String] {
            var fields = [
                "ready": "\(ready)", "generation": "\(generation)", "entries": "\(entries)", "stores": "\(stores)",
                "sequence": "\(lastAppliedSequence)", "notifications": "\(notificationsReceived)",
                "reconnects": "\(reconnects)", "skipped": "\(skippedRows)", "mode": polling ? "polling" : "listen",
            ]
            if let age = syncAge() { fields["sync_age_s"] = String(format: "%.1f", age) }
            if let degradedReason { fields["degraded"] = degradedReason }
            return fields
        }
    }

    private let state = Mutex(Snapshot())

    public init() {}

    public var current: Snapshot { state.withLock { $0 } }

    func update(_ body: (inout Snapshot) -> Void) {
        state.withLock { body(&$0) }
    }
}
