import Foundation
import Testing
import TenantEdgeMaster

/// The PostgreSQL the DB tests run against (shared by the master and ACME test targets): `TENANT_EDGE_TEST_DB_URL` (scripts/test starts a
/// throwaway server and sets it). Each test works in its own schema, so tests can run in
/// parallel against one database.
public enum TestDatabase {
    public static let url = ProcessInfo.processInfo.environment["TENANT_EDGE_TEST_DB_URL"] ?? ""
    public static let isAvailable = !url.isEmpty
    public static let skipReason: Comment = "TENANT_EDGE_TEST_DB_URL is not set: PostgreSQL tests skipped (scripts/test sets it)"

    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static func sqlFile(_ name: String) throws -> String {
        try String(contentsOf: repositoryRoot.appendingPathComponent("config/sql/\(name)"), encoding: .utf8)
    }

    /// The test URL with `search_path` set to `schema`, for code that opens its own connections
    /// (the change feed).
    public static func url(forSchema schema: String) -> String {
        url + (url.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(schema)"
    }

    /// A connection whose search_path is a new, empty schema, optionally with the platform tables.
    public static func freshSchema(withPlatformTables: Bool = true) throws -> Schema {
        let connection = try PostgresConnection.connect(url)
        let name = "edge_test_\(UInt32.random(in: .min ... .max))"
        try connection.execute("CREATE SCHEMA \(name); SET search_path TO \(name)")
        if withPlatformTables {
            try connection.execute(try sqlFile("platform_schema.sql"))
        }
        return Schema(connection: connection, name: name)
    }

    /// Drops its schema when the test is done with it.
    public final class Schema {
        public let connection: PostgresConnection
        public let name: String

        public init(connection: PostgresConnection, name: String) {
            self.connection = connection
            self.name = name
        }

        deinit {
            try? connection.execute("DROP SCHEMA \(name) CASCADE")
        }
    }
}
