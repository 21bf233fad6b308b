import TenantEdgeCore

/// Loads the whole route map from the platform's tables (DESIGN.md section 4).
public enum RouteLoader {
    /// Reads both tables and the change log's high-water mark in one REPEATABLE READ READ ONLY
    /// transaction, so the map and the sequence describe the same instant: replaying the log from
    /// that sequence afterwards can neither miss nor double-apply a change.
    ///
    /// NULLs in the boolean columns get the platform's column defaults (`is_active` false,
    /// `is_primary` true, the others false) rather than failing the whole load over one odd row;
    /// NULL text becomes "" so the route table skips and reports the row.
    public static func loadAll(_ connection: PostgresConnection) throws(MasterDBError) -> RouteMapData {
        try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        do {
            let data = try loadInTransaction(connection)
            try connection.execute("COMMIT")
            return data
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }

    private static func loadInTransaction(_ connection: PostgresConnection) throws(MasterDBError) -> RouteMapData {
        let stores = try connection.query("SELECT id::text, slug, status, is_active FROM stores ORDER BY id")
        let hostnames = try connection.query("""
            SELECT hostname, store_id::text, is_custom_domain, is_primary, ssl_enabled
            FROM store_hostnames ORDER BY hostname
            """)
        let hasLog = try connection.query("SELECT to_regclass('tenant_edge_changes') IS NOT NULL")
        var sequence: Int64 = 0
        if hasLog.count == 1, hasLog[0, 0] == "t" {
            let maximum = try connection.query("SELECT coalesce(max(seq), 0)::text FROM tenant_edge_changes")
            guard maximum.count == 1, let text = maximum[0, 0], let value = Int64(text) else {
                throw MasterDBError(code: .unexpectedResult, endpoint: connection.endpoint,
                                    detail: "max(seq) of tenant_edge_changes is not a number")
            }
            sequence = value
        }
        return RouteMapData(
            stores: stores.rows.map { row in
                StoreRecord(id: row[0] ?? "", slug: row[1] ?? "", status: row[2] ?? "",
                            isActive: boolean(row[3], default: false))
            },
            hostnames: hostnames.rows.map { row in
                HostnameRecord(hostname: row[0] ?? "", storeId: row[1] ?? "",
                               isCustomDomain: boolean(row[2], default: false),
                               isPrimary: boolean(row[3], default: true),
                               sslEnabled: boolean(row[4], default: false))
            },
            sequence: sequence)
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
