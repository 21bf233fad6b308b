import Foundation
import Logging
import TenantEdgeCore

/// Performs the state machine's actions with libpq, on the feed's own thread (a plain
/// `Thread`: libpq calls block, and the workers must never wait on them).
///
/// Owns every piece of mutable feed state: the connection, the log cursor, the editor of the
/// map. Not `Sendable`: it is created on the starting thread, runs the first sync there, and
/// is then handed to the feed thread, which alone uses it from then on.
final class ChangeFeedRunner {
    static let channel = "tenant_edge_changes"

    let configuration: ChangeFeedConfiguration
    let logger: Logger
    let status: ChangeFeedStatus
    let control: ChangeFeedControl
    var machine: ChangeFeedStateMachine
    var cursor = ChangeLogCursor(lastSequence: 0)
    var connection: PostgresConnection?
    var editor: RouteTableEditor?
    var table: RouteTable?
    var generation: UInt64 = 0
    var publish: (RouteTable) -> Void = { _ in }
    let snapshotWriter: SnapshotWriter?
    var probeToken = ""
    private var probeCounter = 0
    private var everConnected = false
    var lastFailure: String?
    private var loggedSkipped = Set<SkippedRow>()
    private var loggedOverlaySkipped = 0
    private var warnedNoChangeLog = false
    var servingSnapshot = false

    init(configuration: ChangeFeedConfiguration, logger: Logger, status: ChangeFeedStatus, control: ChangeFeedControl) {
        self.configuration = configuration
        self.logger = logger
        self.status = status
        self.control = control
        machine = ChangeFeedStateMachine(timing: configuration.timing, seed: UInt64(truncatingIfNeeded: getpid()) &* 7919)
        snapshotWriter = configuration.snapshotPath.map {
            SnapshotWriter(file: RouteSnapshotFile(path: $0), logger: logger, status: status)
        }
    }

    static func now() -> Int64 { Int64(truncatingIfNeeded: DispatchTime.now().uptimeNanoseconds) }

    /// One action; false once stopped.
    @discardableResult
    func step() -> Bool {
        let requests = control.takeRequests()
        if requests.stop {
            machine.receive(.stopRequested, now: Self.now())
        } else if requests.resync {
            logger.info("full route resync requested")
            machine.receive(.resyncRequested, now: Self.now())
        }
        let action = machine.nextAction(now: Self.now())
        if action == .stop {
            connection = nil
            snapshotWriter?.stop()
            return false
        }
        if let event = perform(action) {
            machine.receive(event, now: Self.now())
            if case .notificationsReceived(_, true) = event { refreshStatus() }
        }
        return true
    }

    private func perform(_ action: ChangeFeedStateMachine.Action) -> ChangeFeedStateMachine.Event? {
        switch action {
        case .connect: return connect()
        case .subscribe: return subscribe()
        case .loadFull: return loadFull()
        case .fetchChanges: return fetchChanges()
        case .checkMaxSequence: return checkMaxSequence()
        case .reportProbeFailure:
            logger.error("""
                LISTEN/NOTIFY does not work on this master database connection: the self-NOTIFY probe did not come \
                back within \(configuration.timing.probeTimeout / 1_000_000) ms. The usual cause is a transaction-mode \
                pooler between tenant-edge and PostgreSQL (Supabase's pooler on port 6543, PgBouncer with \
                pool_mode=transaction), which drops LISTEN. Point master_db at a session connection (Supabase: the \
                direct connection or the session pooler on port 5432). Meanwhile the change log is polled every \
                \(configuration.timing.pollInterval / 1_000_000) ms.
                """)
            refreshStatus()
            return nil
        case .wait(let until): return wait(until: until)
        case .stop: return nil
        }
    }

    // MARK: Actions

    private func connect() -> ChangeFeedStateMachine.Event {
        do {
            let session = try PostgresConnection.connect(configuration.connectionString,
                                                         defaults: configuration.connectionDefaults)
            connection = session
            if everConnected {
                status.update { $0.reconnects += 1 }
                logger.info("master database reconnected; catching up", metadata: ["endpoint": "\(session.endpoint)"])
            }
            everConnected = true
            lastFailure = nil
            return .connected
        } catch {
            return fail(error, doing: "connect")
        }
    }

    private func subscribe() -> ChangeFeedStateMachine.Event {
        guard let connection else { return .failed }
        probeCounter += 1
        probeToken = "probe:\(getpid()):\(probeCounter)"
        do {
            try connection.execute("LISTEN \(Self.channel)")
            _ = try connection.query("SELECT pg_notify($1, $2)", params: [Self.channel, probeToken])
            return .subscribed
        } catch {
            return fail(error, doing: "LISTEN")
        }
    }

    private func loadFull() -> ChangeFeedStateMachine.Event {
        guard let connection else { return .failed }
        let started = Self.now()
        do {
            let load = try RouteLoader.loadBase(connection, policy: configuration.policy)
            generation += 1
            let newTable = RouteTable(base: load.base, generation: generation, sequence: load.sequence)
            cursor.reset(to: load.sequence)
            editor = RouteTableEditor(table: newTable)
            loggedOverlaySkipped = 0
            servingSnapshot = false
            if !load.hasChangeLog, !warnedNoChangeLog {
                warnedNoChangeLog = true
                logger.error("the master database has no tenant_edge_changes log: changes will not be followed until the migration is applied (tenant-edge migrate --config FILE)")
            }
            install(newTable)
            logSkipped(newTable.skippedRows)
            logger.info("route map loaded", metadata: [
                "generation": "\(generation)", "hosts": "\(newTable.hostCount)", "stores": "\(newTable.storeCount)",
                "skipped": "\(newTable.skippedRows.count)", "sequence": "\(load.sequence)",
                "ms": "\((Self.now() - started) / 1_000_000)"])
            return .loaded
        } catch {
            return fail(error, doing: "full load")
        }
    }

    private func fetchChanges() -> ChangeFeedStateMachine.Event {
        guard let connection, var editor, let current = table else { return .failed }
        let batch: ChangeBatch
        do {
            batch = try ChangeReader.read(connection, after: cursor.lastSequence, recheck: cursor.recheck)
        } catch {
            return fail(error, doing: "read change log")
        }
        guard batch.reaches(cursor.lastSequence) else {
            logger.warning("change log no longer reaches the applied sequence (pruned, or another database); full reload",
                           metadata: ["applied": "\(cursor.lastSequence)", "log_min": "\(batch.logMinimum)",
                                      "log_max": "\(batch.logMaximum)"])
            return .fullLoadNeeded
        }
        guard cursor.advance(seen: batch.sequences, now: Self.now()) else {
            logger.warning("too many unresolved change-log gaps; full reload")
            return .fullLoadNeeded
        }
        if batch.isEmpty {
            // Nothing to show: the same generation stays, and so do the workers' token caches.
            if cursor.lastSequence != current.sequence || servingSnapshot {
                refreshStatus()
            }
            return .changesApplied(more: batch.hitLimit)
        }
        batch.apply(to: &editor)
        generation += 1
        var newTable = editor.table(generation: generation, sequence: cursor.lastSequence)
        if editor.overlaySize > compactionThreshold(editor) {
            let started = Self.now()
            newTable = RouteTableEditor.compact(newTable, generation: generation)
            editor = RouteTableEditor(table: newTable)
            loggedOverlaySkipped = 0
            logger.info("route map compacted", metadata: [
                "generation": "\(generation)", "hosts": "\(newTable.hostCount)",
                "ms": "\((Self.now() - started) / 1_000_000)"])
        }
        self.editor = editor
        install(newTable)
        let overlaySkipped = editor.overlaySkippedRows
        if overlaySkipped.count > loggedOverlaySkipped {
            logSkipped(Array(overlaySkipped[loggedOverlaySkipped...]))
            loggedOverlaySkipped = overlaySkipped.count
        }
        logger.debug("route changes applied", metadata: [
            "generation": "\(generation)", "entries": "\(batch.sequences.count)", "sequence": "\(cursor.lastSequence)"])
        return .changesApplied(more: batch.hitLimit)
    }

    private func checkMaxSequence() -> ChangeFeedStateMachine.Event {
        guard let connection else { return .failed }
        do {
            let maximum = try RouteLoader.maxSequence(connection)
            let behind = maximum > cursor.lastSequence
            if behind, machine.mode == .notify {
                logger.warning("change log is ahead of what notifications announced; catching up",
                               metadata: ["applied": "\(cursor.lastSequence)", "log_max": "\(maximum)"])
            }
            logger.info("route feed status", metadata: status.current.logFields.mapValues { .string($0) })
            return .maxSequenceChecked(behind: behind)
        } catch {
            if error.sqlState == "42P01" {
                logger.info("route feed status", metadata: status.current.logFields.mapValues { .string($0) })
                return .maxSequenceChecked(behind: false)
            }
            return fail(error, doing: "check max(seq)")
        }
    }

    // MARK: Publishing

    /// Makes `newTable` the served map: workers first, then status and snapshot.
    func install(_ newTable: RouteTable) {
        table = newTable
        publish(newTable)
        status.update { status in
            status.lastSyncTime = Date()
        }
        refreshStatus()
        snapshotWriter?.enqueue(newTable)
    }

    func refreshStatus() {
        let connected = connection != nil && machine.synced
        let polling = machine.mode == .polling
        status.update { status in
            if let table {
                status.ready = true
                status.generation = table.generation
                status.entries = table.hostCount
                status.stores = table.storeCount
                status.skippedRows = table.skippedRows.count
            }
            status.lastAppliedSequence = cursor.lastSequence
            status.polling = polling
            if !connected, let lastFailure {
                status.degradedReason = servingSnapshot
                    ? "serving the route snapshot; master database unreachable: \(lastFailure)"
                    : "master database unreachable, serving the last map: \(lastFailure)"
            } else if polling {
                status.degradedReason = "LISTEN/NOTIFY not delivered (transaction-mode pooler?); polling the change log"
            } else {
                status.degradedReason = nil
            }
        }
    }

    private func fail(_ error: some Error, doing what: String) -> ChangeFeedStateMachine.Event {
        let message = "\(error)"
        if connection != nil || lastFailure != message {
            logger.error("master database \(what) failed; serving the current map and retrying with backoff",
                         metadata: ["error": "\(message)", "attempt": "\(machine.failures + 1)"])
        }
        lastFailure = message
        connection = nil
        refreshStatus()
        return .failed
    }

    private func compactionThreshold(_ editor: RouteTableEditor) -> Int {
        configuration.compactionThreshold ?? max(20_000, editor.baseHostCount / 8)
    }

    /// Each skipped row once per process (bounded), then a count: bad rows must be visible
    /// without flooding the log at every reload.
    private func logSkipped(_ rows: [SkippedRow]) {
        var logged = 0
        var suppressed = 0
        for row in rows where !loggedSkipped.contains(row) {
            if logged >= 50 || loggedSkipped.count >= 100_000 {
                suppressed += 1
                continue
            }
            loggedSkipped.insert(row)
            logged += 1
            logger.warning("skipped route row", metadata: ["row": "\(row)"])
        }
        if suppressed > 0 {
            logger.warning("more route rows skipped (not listed)", metadata: ["count": "\(suppressed)"])
        }
    }
}
