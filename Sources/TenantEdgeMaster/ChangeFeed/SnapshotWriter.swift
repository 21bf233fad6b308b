import Foundation
import Logging
import Synchronization
import TenantEdgeCore

/// Writes route snapshots on a thread of its own, newest table wins.
///
/// Encoding and fsyncing a million-host map takes a noticeable fraction of a second; on the
/// feed thread that would delay the next batch's propagation. Tables published while a write
/// runs are coalesced: only the latest is written next, so the file always ends at the last
/// sync without writing every intermediate generation.
final class SnapshotWriter: Sendable {
    private struct Pending {
        var table: RouteTable?
        var stopped = false
        var lastError: String?
    }

    private let file: RouteSnapshotFile
    private let pending = Mutex(Pending())
    private let signal = DispatchSemaphore(value: 0)
    private let logger: Logger
    private let status: ChangeFeedStatus

    init(file: RouteSnapshotFile, logger: Logger, status: ChangeFeedStatus) {
        self.file = file
        self.logger = logger
        self.status = status
        let thread = Thread { [self] in run() }
        thread.name = "tenant-edge-snapshot"
        thread.start()
    }

    func enqueue(_ table: RouteTable) {
        pending.withLock { $0.table = table }
        signal.signal()
    }

    func stop() {
        pending.withLock { $0.stopped = true }
        signal.signal()
    }

    private func run() {
        while true {
            signal.wait()
            let (table, stopped) = pending.withLock { state -> (RouteTable?, Bool) in
                defer { state.table = nil }
                return (state.table, state.stopped)
            }
            if let table { write(table) }
            if stopped { return }
        }
    }

    private func write(_ table: RouteTable) {
        do {
            try file.write(table)
            let recovered = pending.withLock { state -> Bool in
                defer { state.lastError = nil }
                return state.lastError != nil
            }
            if recovered { logger.info("route snapshot written again", metadata: ["path": "\(file.path)"]) }
            status.update { $0.lastSnapshotError = nil }
        } catch {
            let message = "\(error)"
            // Once per distinct failure: a full disk must not flood the log at every batch.
            let isNew = pending.withLock { state -> Bool in
                defer { state.lastError = message }
                return state.lastError != message
            }
            if isNew {
                logger.error("cannot write route snapshot; a restart while the database is down would have no map",
                             metadata: ["error": "\(message)"])
            }
            status.update { $0.lastSnapshotError = message }
        }
    }
}
