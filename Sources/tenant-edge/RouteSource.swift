import Logging
import TenantEdgeConfig
import TenantEdgeCore
import TenantEdgeMaster

/// Loads the hostname map from the master database into RouteTables.
///
/// This is the one-shot loader; the change feed (LISTEN/NOTIFY, catch-up, snapshot) grows
/// from it without the workers noticing, since they only ever see published tables.
final class RouteSource {
    private let config: EdgeConfig
    private let logger: Logger
    private var generation: UInt64 = 0

    init(config: EdgeConfig, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    func loadInitial() throws -> RouteTable {
        try load()
    }

    /// A fresh table, or nil (logged) if the database cannot be read: the old one stays.
    func reload(previous: RouteTable) -> RouteTable? {
        do {
            return try load()
        } catch {
            logger.error("route reload failed; keeping the current map", metadata: ["error": "\(error)", "generation": "\(previous.generation)"])
            return nil
        }
    }

    private func load() throws -> RouteTable {
        let connection = try PostgresConnection.connect(config.masterDBURL)
        let data = try RouteLoader.loadAll(connection)
        generation += 1
        let table = RouteTable(data: data, policy: SettingsBuilder.policy(config), generation: generation)
        for row in table.skippedRows.prefix(20) {
            logger.warning("skipped route row", metadata: ["row": "\(row)"])
        }
        logger.info("route map loaded", metadata: [
            "generation": "\(generation)", "hosts": "\(table.hostCount)", "stores": "\(table.storeCount)",
            "skipped": "\(table.skippedRows.count)", "sequence": "\(table.sequence)"])
        return table
    }
}
