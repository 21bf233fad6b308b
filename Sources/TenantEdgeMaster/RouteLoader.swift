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

    /// The same REPEATABLE READ load as `loadAll`, streamed by binary COPY straight into a
    /// `RouteTableBuilder`: with a million hostnames, holding every row as `String`s before
    /// building would double the peak memory of a start, and the COPY stream lets the server
    /// scan while this side indexes (measured: 1M hostnames in about half the time of cursor
    /// FETCHes of 20,000 rows).
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
            // A plain scan of a million rows gains nothing from JIT compilation but pays for it.
            try connection.execute("SET LOCAL jit = off")
            var stores = BinaryCopyReader(columns: 4)
            var storeRows = 0, hostnameRows = 0
            _ = try connection.copyOut("""
                COPY (SELECT id::text, slug, status, is_active FROM stores ORDER BY id) TO STDOUT (FORMAT binary)
                """) { message in
                guard try stores.read(message) == .row else { return }
                storeRows += 1
                let fields = stores.fields
                let status = fields[2].map { String(decoding: UnsafeRawBufferPointer(rebasing: message[$0]), as: UTF8.self) } ?? ""
                builder.addStore(id: Self.bytes(message, fields[0]), slug: Self.bytes(message, fields[1]),
                                 status: status, isActive: Self.boolean(message, fields[3], default: false))
            }
            var hostnames = BinaryCopyReader(columns: 3)
            _ = try connection.copyOut("""
                COPY (SELECT hostname, store_id::text, is_custom_domain FROM store_hostnames ORDER BY hostname)
                TO STDOUT (FORMAT binary)
                """) { message in
                guard try hostnames.read(message) == .row else { return }
                hostnameRows += 1
                let fields = hostnames.fields
                builder.addHostname(hostname: Self.bytes(message, fields[0]), storeId: Self.bytes(message, fields[1]),
                                    isCustomDomain: Self.boolean(message, fields[2], default: false))
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

    /// A binary COPY field's bytes; NULL reads as empty (the builder skips it like `""`).
    private static func bytes(_ message: UnsafeRawBufferPointer, _ range: Range<Int>?) -> UnsafeRawBufferPointer {
        guard let range else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(rebasing: message[range])
    }

    /// A binary boolean is one byte, 0 or 1; NULL gets the column's default.
    private static func boolean(_ message: UnsafeRawBufferPointer, _ range: Range<Int>?, default defaultValue: Bool) -> Bool {
        guard let range, range.count == 1 else { return defaultValue }
        return message[range.lowerBound] != 0
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
