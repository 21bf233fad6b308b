import Foundation
import Logging
import Synchronization
import Testing
import TenantEdgeCore
@testable import TenantEdgeMaster
import TenantEdgeTestSupport

/// The feed against a real PostgreSQL: every test in its own schema, the feed connecting with
/// that schema as its search_path.
@Suite(.enabled(if: TestDatabase.isAvailable, TestDatabase.skipReason))
struct ChangeFeedDatabaseTests {
    static let storeId = "00000000-0000-4000-8000-0000000000a1"

    /// A schema with the platform tables, the migration and one store.
    static func prepared() throws -> TestDatabase.Schema {
        let schema = try TestDatabase.freshSchema()
        try Migration.apply(schema.connection)
        try schema.connection.execute("""
            INSERT INTO stores (id, slug, status, is_active) VALUES ('\(storeId)', 'alpha', 'active', true);
            INSERT INTO store_hostnames (store_id, hostname) VALUES ('\(storeId)', 'www.alpha.test');
            """)
        return schema
    }

    /// The latest table a feed published, shared with the feed thread.
    final class Latest: Sendable {
        private let table: Mutex<RouteTable>
        init(_ table: RouteTable) { self.table = Mutex(table) }
        var current: RouteTable { table.withLock { $0 } }
        func set(_ newTable: RouteTable) { table.withLock { $0 = newTable } }
    }

    /// A started feed and the latest table it published.
    final class Running: Sendable {
        let feed: ChangeFeed
        let latest: Latest

        init(schema: String, snapshotPath: String? = nil, applicationName: String = "te-test") throws {
            var configuration = ChangeFeedConfiguration(
                connectionString: TestDatabase.url(forSchema: schema), policy: RoutingPolicy(platformDomains: ["p.test"]),
                snapshotPath: snapshotPath)
            configuration.applicationName = applicationName
            var logger = Logger(label: "feed-test")
            logger.logLevel = ProcessInfo.processInfo.environment["FEED_TEST_DEBUG"] != nil ? .debug : .critical
            feed = ChangeFeed(configuration: configuration, logger: logger)
            let initial = try feed.start()
            let latest = Latest(initial.table)
            self.latest = latest
            feed.run { table in latest.set(table) }
        }

        /// Waits (bounded) until the latest table satisfies `condition`.
        func wait(seconds: Double = 10, _ condition: (RouteTable) -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if condition(latest.current) { return true }
                usleep(10_000)
            }
            return false
        }

        deinit { feed.stop() }
    }

    @Test func followsChangesIncludingTenThousandRowsInOneTransaction() throws {
        let schema = try Self.prepared()
        let running = try Running(schema: schema.name)
        #expect(running.latest.current.resolve("www.alpha.test").rule == .exact)

        try schema.connection.execute("""
            INSERT INTO store_hostnames (store_id, hostname)
            SELECT '\(Self.storeId)', 'h' || g || '.bulk.test' FROM generate_series(1, 10000) g
            """)
        #expect(running.wait { $0.hostCount == 10_001 })
        let table = running.latest.current
        let missing = (1 ... 10_000).filter { table.resolve("h\($0).bulk.test").rule != .exact }
        #expect(missing.isEmpty, "missing \(missing.prefix(10))")

        try schema.connection.execute("UPDATE stores SET status = 'suspended' WHERE id = '\(Self.storeId)'")
        #expect(running.wait { table in table.availability(table.resolve("h5.bulk.test").storeIndex) == .unavailable })
        try schema.connection.execute("UPDATE store_hostnames SET hostname = 'renamed.test' WHERE hostname = 'www.alpha.test'")
        #expect(running.wait { $0.resolve("renamed.test").rule == .exact && $0.resolve("www.alpha.test").rule == .notFound })
        #expect(running.feed.status.current.notificationsReceived > 0)
    }

    @Test func catchesUpAfterItsConnectionIsTerminated() throws {
        let schema = try Self.prepared()
        let name = "te-test-\(UInt32.random(in: .min ... .max))"
        let running = try Running(schema: schema.name, applicationName: name)
        let killed = try schema.connection.query(
            "SELECT count(pg_terminate_backend(pid))::text FROM pg_stat_activity WHERE application_name = $1", params: [name])
        #expect(killed[0, 0] == "1")
        try schema.connection.execute("INSERT INTO store_hostnames (store_id, hostname) VALUES ('\(Self.storeId)', 'after.test')")
        #expect(running.wait(seconds: 15) { $0.resolve("after.test").rule == .exact })
        #expect(running.wait { _ in running.feed.status.current.reconnects >= 1 })
    }

    @Test func writesTheSnapshotAndServesItWhenTheDatabaseIsDown() throws {
        let schema = try Self.prepared()
        let path = NSTemporaryDirectory() + "te-feed-\(UInt32.random(in: .min ... .max)).json"
        defer { unlink(path) }
        do {
            let running = try Running(schema: schema.name, snapshotPath: path)
            try schema.connection.execute("INSERT INTO store_hostnames (store_id, hostname) VALUES ('\(Self.storeId)', 'snap.test')")
            #expect(running.wait { $0.resolve("snap.test").rule == .exact })
            let file = RouteSnapshotFile(path: path)
            var found = false
            for _ in 0 ..< 500 where !found {
                found = (try? file.read())?.hostnames.contains { $0.hostname == "snap.test" } ?? false
                if !found { usleep(10_000) }
            }
            #expect(found)
        }
        var configuration = ChangeFeedConfiguration(
            connectionString: "postgresql://nobody@127.0.0.1:1/none", policy: RoutingPolicy(), snapshotPath: path)
        configuration.startupGraceSeconds = 0.2
        var logger = Logger(label: "feed-test")
        logger.logLevel = .critical
        let feed = ChangeFeed(configuration: configuration, logger: logger)
        let initial = try feed.start()
        guard case .snapshot(let table, _) = initial else {
            Issue.record("expected the snapshot")
            return
        }
        #expect(table.resolve("snap.test").rule == .exact)
        #expect(feed.status.current.ready)
        #expect(feed.status.current.degradedReason?.contains("snapshot") == true)
    }

    @Test func noDatabaseAndNoSnapshotIsAnError() {
        var configuration = ChangeFeedConfiguration(
            connectionString: "postgresql://nobody@127.0.0.1:1/none", policy: RoutingPolicy(),
            snapshotPath: "/nonexistent-dir/routes.json")
        configuration.startupGraceSeconds = 0.3
        let feed = ChangeFeed(configuration: configuration, logger: Logger(label: "feed-test"))
        do {
            _ = try feed.start()
            Issue.record("expected StartError")
        } catch {
            #expect(error.description.contains("no route map to serve"))
            #expect(error.description.contains("does not exist"))
        }
    }

    @Test func doctorPassesOnAMigratedSchemaAndTheProbeComesBack() throws {
        let schema = try Self.prepared()
        #expect(try NotifyProbe.run(schema.connection) != nil)
        let checks = MasterDatabaseDoctor.run(connectionString: TestDatabase.url(forSchema: schema.name),
                                              policy: RoutingPolicy(), snapshotPath: NSTemporaryDirectory() + "routes.json")
        #expect(checks.count == 6)
        #expect(checks.allSatisfy { $0.outcome == .ok }, "\(checks)")
    }
}
