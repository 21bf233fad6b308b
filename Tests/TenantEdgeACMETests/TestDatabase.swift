import Foundation
import Testing
import TenantEdgeMaster

/// The PostgreSQL the DB tests run against: `TENANT_EDGE_TEST_DB_URL` (scripts/test starts a
/// throwaway server and sets it). Each test works in its own schema, so tests can run in
/// parallel against one database.
enum TestDatabase {
    static let url = ProcessInfo.processInfo.environment["TENANT_EDGE_TEST_DB_URL"] ?? ""
    static let isAvailable = !url.isEmpty
    static let skipReason: Comment = "TENANT_EDGE_TEST_DB_URL is not set: PostgreSQL tests skipped (scripts/test sets it)"

    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func sqlFile(_ name: String) throws -> String {
        try String(contentsOf: repositoryRoot.appendingPathComponent("config/sql/\(name)"), encoding: .utf8)
    }

    /// The test URL with `search_path` set to `schema`, for code that opens its own connections
    /// (the change feed).
    static func url(forSchema schema: String) -> String {
        url + (url.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(schema)"
    }

    /// A connection whose search_path is a new, empty schema, optionally with the platform tables.
    static func freshSchema(withPlatformTables: Bool = true) throws -> Schema {
        let connection = try PostgresConnection.connect(url)
        let name = "edge_test_\(UInt32.random(in: .min ... .max))"
        try connection.execute("CREATE SCHEMA \(name); SET search_path TO \(name)")
        if withPlatformTables {
            try connection.execute(try sqlFile("platform_schema.sql"))
        }
        return Schema(connection: connection, name: name)
    }

    /// Drops its schema when the test is done with it.
    final class Schema {
        let connection: PostgresConnection
        let name: String

        init(connection: PostgresConnection, name: String) {
            self.connection = connection
            self.name = name
        }

        deinit {
            try? connection.execute("DROP SCHEMA \(name) CASCADE")
        }
    }
}
