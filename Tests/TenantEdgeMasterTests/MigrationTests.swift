import Foundation
import Testing
@testable import TenantEdgeMaster
import TenantEdgeTestSupport

struct MigrationTests {
    @Test func embeddedSQLIsByteIdenticalToTheShippedFile() throws {
        let file = try TestDatabase.sqlFile("tenant_edge_migration.sql")
        #expect(Array(Migration.sql.utf8) == Array(file.utf8))
    }

    @Test(.enabled(if: TestDatabase.isAvailable, TestDatabase.skipReason))
    func appliesTwiceAndInstallsTriggersOnBothTables() throws {
        let schema = try TestDatabase.freshSchema()
        try Migration.apply(schema.connection)
        try Migration.apply(schema.connection)
        let triggers = try schema.connection.query("""
            SELECT event_object_table, count(*)::text FROM information_schema.triggers
            WHERE trigger_schema = $1 GROUP BY 1 ORDER BY 1
            """, params: [schema.name])
        // One trigger per table (the platform's two and the certificates), each for INSERT, UPDATE and DELETE.
        #expect(triggers.rows == [["store_hostnames", "3"], ["stores", "3"], ["tenant_edge_certificates", "3"]])
    }

    @Test(.enabled(if: TestDatabase.isAvailable, TestDatabase.skipReason))
    func storeChangesAreLoggedWithTheStoreIdAndHostnameMovesLogBothNames() throws {
        let schema = try TestDatabase.freshSchema()
        try Migration.apply(schema.connection)
        let db = schema.connection
        let id = try db.query("INSERT INTO stores (slug, status) VALUES ('shop', 'active') RETURNING id::text")[0, 0]
        try db.execute("INSERT INTO store_hostnames (store_id, hostname) SELECT id, 'old.example' FROM stores")
        try db.execute("UPDATE stores SET is_active = true")
        try db.execute("UPDATE store_hostnames SET hostname = 'new.example'")
        let log = try db.query("SELECT table_name, op, store_id::text, hostname FROM tenant_edge_changes ORDER BY seq")
        #expect(log.rows == [
            ["stores", "INSERT", id, nil],
            ["store_hostnames", "INSERT", id, "old.example"],
            ["stores", "UPDATE", id, nil],
            ["store_hostnames", "UPDATE", id, "old.example"],
            ["store_hostnames", "UPDATE", id, "new.example"],
        ])
    }

    @Test(.enabled(if: TestDatabase.isAvailable, TestDatabase.skipReason))
    func pruningKeepsTheNewestRow() throws {
        let schema = try TestDatabase.freshSchema()
        try Migration.apply(schema.connection)
        let db = schema.connection
        try db.execute("INSERT INTO stores (slug) VALUES ('a'), ('b'), ('c')")
        let pruned = try db.query("SELECT tenant_edge_prune_changes(interval '0 seconds')::text")
        #expect(pruned[0, 0] == "2")
        let left = try db.query("SELECT seq::text FROM tenant_edge_changes")
        #expect(left.rows == [["3"]])
    }

    @Test(.enabled(if: TestDatabase.isAvailable, TestDatabase.skipReason))
    func aFailedMigrationLeavesTheConnectionUsable() throws {
        // Without the platform tables the CREATE TRIGGER fails; everything before it rolls back.
        let schema = try TestDatabase.freshSchema(withPlatformTables: false)
        #expect(throws: MasterDBError.self) { try Migration.apply(schema.connection) }
        let exists = try schema.connection.query("SELECT to_regclass('tenant_edge_changes') IS NULL")
        #expect(exists[0, 0] == "t")
    }
}
