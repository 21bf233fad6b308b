import Foundation
import Logging
import TenantEdgeCore

/// Keeps the route map in step with the master database (DESIGN.md section 4): LISTEN, full
/// load, change batches by sequence, catch-up after reconnects, polling when NOTIFY does not
/// work, a snapshot after every sync, and the snapshot at start when the database is down.
///
/// Two phases, because the server needs a first map before it binds: `start()` runs the
/// feed on the calling thread until there is one (from the database, or from the snapshot if
/// the database is unreachable), then `run(publish:)` moves the feed to its own thread, where
/// every later map goes to `publish`.
public final class ChangeFeed: Sendable {
    /// Where the first map came from.
    public enum InitialMap: Sendable {
        case database(RouteTable)
        /// The database could not be reached; `reason` says why. The feed keeps trying.
        case snapshot(RouteTable, reason: String)

        public var table: RouteTable {
            switch self {
            case .database(let table), .snapshot(let table, _): table
            }
        }
    }

    public struct StartError: Error, Sendable, CustomStringConvertible {
        public var database: String
        public var snapshot: String

        public var description: String {
            "no route map to serve: \(database); and \(snapshot)"
        }
    }

    public let status = ChangeFeedStatus()
    private let control = ChangeFeedControl()
    private let handoff: RunnerHandoff
    private let finished = DispatchSemaphore(value: 0)

    public init(configuration: ChangeFeedConfiguration, logger: Logger) {
        handoff = RunnerHandoff(ChangeFeedRunner(configuration: configuration, logger: logger, status: status,
                                                 control: control))
    }

    /// Blocks until the first map: the database's, or else the snapshot's. Throws when the
    /// database stays unreachable for the startup grace and there is no usable snapshot.
    public func start() throws(StartError) -> InitialMap {
        let runner = handoff.runner
        let deadline = ChangeFeedRunner.now() + Int64(runner.configuration.startupGraceSeconds * 1e9)
        var snapshotProblem: String?
        while runner.step() {
            if let table = runner.table, runner.machine.synced, runner.connection != nil {
                return .database(table)
            }
            guard runner.machine.failures > 0 else { continue }
            if snapshotProblem == nil {
                switch loadSnapshot(runner) {
                case .success(let table):
                    let reason = runner.lastFailure ?? "master database unreachable"
                    runner.logger.warning("serving the route snapshot until the master database is reachable",
                                          metadata: ["reason": "\(reason)", "hosts": "\(table.hostCount)",
                                                     "sequence": "\(table.sequence)"])
                    return .snapshot(table, reason: reason)
                case .failure(let problem):
                    snapshotProblem = problem.description
                    runner.logger.error("\(problem); waiting for the master database",
                                        metadata: ["grace_s": "\(runner.configuration.startupGraceSeconds)"])
                }
            }
            if ChangeFeedRunner.now() >= deadline { break }
        }
        throw StartError(database: runner.lastFailure ?? "master database unreachable",
                         snapshot: snapshotProblem ?? "no snapshot")
    }

    /// Continues on the feed thread; every new map is passed to `publish` (on that thread).
    public func run(publish: @escaping @Sendable (RouteTable) -> Void) {
        let handoff = self.handoff
        let finished = self.finished
        let thread = Thread {
            let runner = handoff.runner
            runner.publish = publish
            while runner.step() {}
            finished.signal()
        }
        thread.name = "tenant-edge-feed"
        thread.start()
    }

    /// A full resync (SIGHUP): reload everything in one transaction, then follow the log again.
    public func resync() {
        control.requestResync()
    }

    /// Stops the feed thread after its current statement, and waits for it.
    public func stop() {
        control.requestStop()
        finished.wait()
    }

    private func loadSnapshot(_ runner: ChangeFeedRunner) -> Result<RouteTable, SnapshotProblem> {
        guard let path = runner.configuration.snapshotPath else {
            return .failure(SnapshotProblem("no route snapshot configured (master_db.snapshot_path)"))
        }
        do {
            let data = try RouteSnapshotFile(path: path).read()
            runner.generation += 1
            let table = RouteTable(data: data, policy: runner.configuration.policy, generation: runner.generation)
            runner.table = table
            runner.editor = RouteTableEditor(table: table)
            runner.cursor.reset(to: data.sequence)
            runner.servingSnapshot = true
            runner.status.update { $0.lastSyncTime = nil }
            runner.refreshStatus()
            return .success(table)
        } catch {
            return .failure(SnapshotProblem("\(error)"))
        }
    }
}

/// Why the snapshot could not be served, as one line.
struct SnapshotProblem: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Moves the runner from the starting thread to the feed thread. Unchecked because the
/// runner is deliberately not `Sendable`: `start()` uses it before `run(publish:)`, and only
/// the feed thread after.
private final class RunnerHandoff: @unchecked Sendable {
    let runner: ChangeFeedRunner
    init(_ runner: ChangeFeedRunner) { self.runner = runner }
}
