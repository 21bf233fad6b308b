import TenantEdgeCore

/// Loads the whole route map from the platform's tables (DESIGN.md section 4).
public enum RouteLoader {
    /// What `loadBase` read: the built indexes and the log position they correspond to.
    public struct BaseLoad: Sendable {
        public var base: RouteTableBase
        public var sequence: Int64
        /// False when the migration has not been applied (no change log to follow).
        public var hasChangeLog: Bool
        public var storeRows: Int
        public var hostnameRows: Int
    }

    /// Rows per FETCH: large enough that round trips do not matter, small enough that one
    /// chunk of text copies stays a few megabytes.
    static let fetchSize = 20_000

    /// Reads both tables and the change log's high-water mark in one REPEATABLE READ READ ONLY
    /// transaction, so the map and the sequence describe the same instant: replaying the log from
    /// that sequence afterwards can neither miss nor double-apply a change.
    ///
    /// NULLs in the boolean columns get the platform's column defaults (`is_active` false,
    /// `is_primary` true, the others false) rather than failing the whole load over one odd row;
    /// NULL text becomes "" so the route table skips and reports the row.
    public static func loadAll(_ connection: PostgresConnection) throws(MasterDBError) -> RouteMapData {
        try inReadOnlyTransaction(connection) { () throws(MasterDBError) -> RouteMapData in
            let stores = try connection.query("SELECT id::text, slug, status, is_active FROM stores ORDER BY id")
            let hostnames = try connection.query("""
                SELECT hostname, store_id::text, is_custom_domain, is_primary, ssl_enabled
                FROM store_hostnames ORDER BY hostname
                """)
            let hasLog = try connection.query("SELECT to_regclass('tenant_edge_changes') IS NOT NULL")
            let sequence = hasLog.count == 1 && hasLog[0, 0] == "t" ? try maxSequence(connection) : 0
            return RouteMapData(stores: stores.rows.map(storeRecord), hostnames: hostnames.rows.map(hostnameRecord),
                                sequence: sequence)
        }
    }

    /// The same REPEATABLE READ load as `loadAll`, streamed through cursors straight into a
    /// `RouteTableBuilder`: with a million hostnames, holding every row as `String`s before
    /// building would double the peak memory of a start.
    public static func loadBase(_ connection: PostgresConnection, policy: RoutingPolicy) throws(MasterDBError) -> BaseLoad {
        try inReadOnlyTransaction(connection) { () throws(MasterDBError) -> BaseLoad in
            // The planner's row estimates only size the indexes (they grow if short): exact
            // counts would scan both tables once more, a few hundred ms at a million rows.
            let counts = try connection.query("""
                SELECT greatest(0, (SELECT reltuples FROM pg_class WHERE oid = to_regclass('stores')))::bigint::text,
                       greatest(0, (SELECT reltuples FROM pg_class WHERE oid = to_regclass('store_hostnames')))::bigint::text,
                       to_regclass('tenant_edge_changes') IS NOT NULL
                """)
            let hasChangeLog = counts[0, 2] == "t"
            let expectedHostnames = Int(counts[0, 1] ?? "") ?? 0
            var builder = RouteTableBuilder(
                policy: policy, expectedStores: Int(counts[0, 0] ?? "") ?? 0,
                expectedHostnames: expectedHostnames, expectedHostnameBytes: expectedHostnames * 24)
            let storeRows = try fetchAll(connection, cursor: "tenant_edge_stores",
                                         query: "SELECT id::text, slug, status, is_active FROM stores ORDER BY id") { row in
                builder.addStore(storeRecord(row))
            }
            let hostnameRows = try fetchAll(connection, cursor: "tenant_edge_hostnames", query: """
                SELECT hostname, store_id::text, is_custom_domain, is_primary, ssl_enabled FROM store_hostnames ORDER BY hostname
                """) { row in
                builder.addHostname(hostnameRecord(row))
            }
            let sequence = hasChangeLog ? try maxSequence(connection) : 0
            return BaseLoad(base: builder.finish(), sequence: sequence, hasChangeLog: hasChangeLog,
                            storeRows: storeRows, hostnameRows: hostnameRows)
        }
    }

    /// The change log's high-water mark (0 when empty).
    public static func maxSequence(_ connection: PostgresConnection) throws(MasterDBError) -> Int64 {
        let maximum = try connection.query("SELECT coalesce(max(seq), 0)::text FROM tenant_edge_changes")
        guard maximum.count == 1, let text = maximum[0, 0], let value = Int64(text) else {
            throw MasterDBError(code: .unexpectedResult, endpoint: connection.endpoint,
                                detail: "max(seq) of tenant_edge_changes is not a number")
        }
        return value
    }

    /// Columns `id, slug, status, is_active`, as every store query of this module selects them.
    static func storeRecord(_ row: [String?]) -> StoreRecord {
        StoreRecord(id: row[0] ?? "", slug: row[1] ?? "", status: row[2] ?? "", isActive: boolean(row[3], default: false))
    }

    /// Columns `hostname, store_id, is_custom_domain, is_primary, ssl_enabled`.
    static func hostnameRecord(_ row: [String?]) -> HostnameRecord {
        HostnameRecord(hostname: row[0] ?? "", storeId: row[1] ?? "",
                       isCustomDomain: boolean(row[2], default: false),
                       isPrimary: boolean(row[3], default: true),
                       sslEnabled: boolean(row[4], default: false))
    }

    /// Runs `body` in a REPEATABLE READ READ ONLY transaction that always ends (COMMIT, or
    /// ROLLBACK on failure): the feed's connection must never be left inside a transaction.
    static func inReadOnlyTransaction<Result>(
        _ connection: PostgresConnection, _ body: () throws(MasterDBError) -> Result
    ) throws(MasterDBError) -> Result {
        try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        do {
            let result = try body()
            try connection.execute("COMMIT")
            return result
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }

    private static func fetchAll(
        _ connection: PostgresConnection, cursor: String, query: String, _ row: ([String?]) -> Void
    ) throws(MasterDBError) -> Int {
        try connection.execute("DECLARE \(cursor) NO SCROLL CURSOR FOR \(query)")
        var count = 0
        while true {
            let chunk = try connection.query("FETCH \(fetchSize) FROM \(cursor)")
            for values in chunk.rows { row(values) }
            count += chunk.count
            if chunk.count < fetchSize { break }
        }
        try connection.execute("CLOSE \(cursor)")
        return count
    }

    /// PostgreSQL's text form of boolean is `t` / `f`.
    private static func boolean(_ text: String?, default defaultValue: Bool) -> Bool {
        switch text {
        case "t": true
        case "f": false
        default: defaultValue
        }
    }
}
