import Logging
import TenantEdgeConfig
import TenantEdgeCore
import TenantEdgeMaster
import TenantEdgeServer

/// Wires the change feed to the server: the first map before the server binds, every later
/// map published to the workers (who pick it up between requests, woken at once).
final class RouteSource {
    let feed: ChangeFeed
    private let logger: Logger

    init(config: EdgeConfig, logger: Logger) {
        var configuration = ChangeFeedConfiguration(
            connectionString: config.masterDBURL, policy: SettingsBuilder.policy(config),
            snapshotPath: config.masterDB.snapshotPath)
        configuration.applicationName = "tenant-edge"
        feed = ChangeFeed(configuration: configuration, logger: logger)
        self.logger = logger
    }

    var status: ChangeFeedStatus { feed.status }

    /// The map to start with: from the database, or from the snapshot when the database is
    /// unreachable (readiness is then degraded and the feed keeps trying).
    func loadInitial() throws -> RouteTable {
        switch try feed.start() {
        case .database(let table):
            return table
        case .snapshot(let table, let reason):
            logger.warning("started from the route snapshot (degraded)", metadata: ["reason": "\(reason)"])
            return table
        }
    }

    /// Starts the feed thread; call once the server runs.
    func startFeed(routes: RouteTableStore, control: ServerControl, routesChanged: (@Sendable () -> Void)? = nil) {
        feed.run { table in
            routes.publish(table)
            control.wakeAll()
            routesChanged?()
        }
    }

    /// SIGHUP: a full resync, off the main thread.
    func resync() {
        feed.resync()
    }
}
