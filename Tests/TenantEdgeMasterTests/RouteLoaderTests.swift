import Testing
import TenantEdgeCore
@testable import TenantEdgeMaster
import TenantEdgeTestSupport

@Suite(.enabled(if: TestDatabase.isAvailable, TestDatabase.skipReason))
struct RouteLoaderTests {
    @Test func loadsBothTablesWithSequenceZeroBeforeTheMigration() throws {
        let schema = try TestDatabase.freshSchema()
        let db = schema.connection
        try db.execute("""
            INSERT INTO stores (id, slug, status, is_active) VALUES
              ('00000000-0000-0000-0000-000000000001', 'alpha', 'active', true),
              ('00000000-0000-0000-0000-000000000002', 'beta', 'provisioning', NULL);
            INSERT INTO store_hostnames (store_id, hostname, is_custom_domain, is_primary, ssl_enabled) VALUES
              ('00000000-0000-0000-0000-000000000001', 'shop.alpha.example', true, true, true),
              ('00000000-0000-0000-0000-000000000002', 'beta.platform.example', NULL, NULL, NULL);
            """)
        let data = try RouteLoader.loadAll(db)
        #expect(data.sequence == 0)
        #expect(data.stores == [
            StoreRecord(id: "00000000-0000-0000-0000-000000000001", slug: "alpha", status: "active", isActive: true),
            StoreRecord(id: "00000000-0000-0000-0000-000000000002", slug: "beta", status: "provisioning", isActive: false),
        ])
        // NULL booleans take the platform's column defaults.
        #expect(data.hostnames == [
            HostnameRecord(hostname: "beta.platform.example", storeId: "00000000-0000-0000-0000-000000000002",
                           isCustomDomain: false, isPrimary: true, sslEnabled: false),
            HostnameRecord(hostname: "shop.alpha.example", storeId: "00000000-0000-0000-0000-000000000001",
                           isCustomDomain: true, isPrimary: true, sslEnabled: true),
        ])
    }

    @Test func sequenceIsTheChangeLogsHighestAfterTheMigration() throws {
        let schema = try TestDatabase.freshSchema()
        let db = schema.connection
        try Migration.apply(db)
        try db.execute("INSERT INTO stores (slug, status, is_active) VALUES ('gamma', 'active', true)")
        try db.execute("INSERT INTO store_hostnames (store_id, hostname) SELECT id, 'gamma.example' FROM stores")
        let data = try RouteLoader.loadAll(db)
        #expect(data.sequence == 2)
        #expect(data.stores.map(\.slug) == ["gamma"])
        #expect(data.hostnames.map(\.hostname) == ["gamma.example"])
        // The transaction is closed again: the connection is not left inside it.
        try db.execute("BEGIN; COMMIT")
    }

    @Test func aMissingTableIsAOneLineQueryErrorAndRollsBack() throws {
        let schema = try TestDatabase.freshSchema(withPlatformTables: false)
        do {
            _ = try RouteLoader.loadAll(schema.connection)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .query)
            #expect(error.sqlState == "42P01")
            #expect(error.description.contains("relation \"stores\" does not exist"))
            #expect(!error.description.contains("\n"))
        }
        try schema.connection.execute("BEGIN; COMMIT")
    }

    /// The start-up path (binary COPY, raw bytes) must build exactly what the record path
    /// builds from the same rows: same hosts, same decisions, same skipped rows and values.
    @Test func binaryCopyLoadBuildsTheSameTableAsTheRecordLoad() throws {
        let schema = try TestDatabase.freshSchema()
        let db = schema.connection
        try Migration.apply(db)
        try db.execute("""
            INSERT INTO stores (id, slug, status, is_active) VALUES
              ('00000000-0000-0000-0000-000000000001', 'Alpha', 'active', true),
              ('00000000-0000-0000-0000-000000000002', 'beta', 'provisioning', NULL),
              ('00000000-0000-0000-0000-000000000003', 'bad slug', 'pending_database_migration', true),
              ('00000000-0000-0000-0000-000000000004', 'ALPHA', 'demo', true);
            INSERT INTO store_hostnames (store_id, hostname, is_custom_domain, is_primary, ssl_enabled) VALUES
              ('00000000-0000-0000-0000-000000000001', 'Shop.Alpha.example.', true, true, true),
              ('00000000-0000-0000-0000-000000000001', 'shop.alpha.example', false, true, true),
              ('00000000-0000-0000-0000-000000000002', 'beta.platform.example', NULL, NULL, NULL),
              ('00000000-0000-0000-0000-000000000003', E'tab\there.example', false, true, false),
              ('00000000-0000-0000-0000-000000000003', E'back\\\\slash.example', false, true, false),
              ('00000000-0000-0000-0000-000000000004', '10.0.0.1', false, true, false),
              ('00000000-0000-0000-0000-000000000004', 'gamma.example', true, true, false);
            """)
        let policy = RoutingPolicy(platformDomains: ["platform.example"])
        let load = try RouteLoader.loadBase(db, policy: policy)
        #expect(load.storeRows == 4)
        #expect(load.hostnameRows == 7)
        #expect(load.hasChangeLog)
        #expect(load.sequence == (try RouteLoader.maxSequence(db)))
        let fromCopy = RouteTable(base: load.base, generation: 1, sequence: load.sequence)
        let fromRecords = RouteTable(data: try RouteLoader.loadAll(db), policy: policy, generation: 1)
        #expect(fromCopy.hostCount == 3)
        #expect(fromCopy.hostCount == fromRecords.hostCount)
        #expect(fromCopy.storeCount == fromRecords.storeCount)
        #expect(fromCopy.skippedRows == fromRecords.skippedRows)
        // The raw values of skipped rows survive byte for byte (no escaping on the way).
        #expect(fromCopy.skippedRows.map(\.value).contains("tab\there.example"))
        #expect(fromCopy.skippedRows.map(\.value).contains("back\\slash.example"))
        for host in ["shop.alpha.example", "beta.platform.example", "gamma.example", "alpha.platform.example",
                     "nothing.example", "tab.example"] {
            let a = fromCopy.resolve(host), b = fromRecords.resolve(host)
            #expect(a == b, "\(host)")
            if a.storeIndex >= 0 {
                #expect(fromCopy.store(a.storeIndex) == fromRecords.store(b.storeIndex), "\(host)")
            }
        }
        let beta = fromCopy.store(fromCopy.resolve("beta.platform.example").storeIndex)
        #expect(beta.id == "00000000-0000-0000-0000-000000000002")
        #expect(beta.isActive == false)
        #expect(fromCopy.resolve("shop.alpha.example").hostKind == .custom)
        try db.execute("BEGIN; COMMIT")
    }

    @Test func aFailingCopyIsAQueryErrorAndTheSessionStaysUsable() throws {
        let schema = try TestDatabase.freshSchema()
        let db = schema.connection
        #expect(throws: MasterDBError.self) {
            _ = try db.copyOut("COPY (SELECT 1/0) TO STDOUT (FORMAT binary)") { _ in }
        }
        #expect(throws: MasterDBError.self) {
            _ = try db.copyOut("SELECT 1") { _ in }
        }
        // A row handler that fails: the stream is drained, the error reported, the session fine.
        struct Stop: Error {}
        var seen = 0
        #expect(throws: MasterDBError.self) {
            _ = try db.copyOut("COPY (SELECT generate_series(1, 1000)) TO STDOUT (FORMAT binary)") { _ in
                seen += 1
                throw Stop()
            }
        }
        #expect(seen == 1)
        #expect(try db.query("SELECT 42")[0, 0] == "42")
    }
}
