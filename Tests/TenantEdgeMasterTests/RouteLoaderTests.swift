import Testing
import TenantEdgeCore
@testable import TenantEdgeMaster

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
}
