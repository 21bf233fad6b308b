import Foundation
import TenantEdgeCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The checks of `tenant-edge doctor`, in the order a new installation meets its problems:
/// reach the database, find the platform's tables, find the migration, receive NOTIFY, load
/// the rows, write the snapshot. Later checks that need the database are skipped (reported
/// as failures) once it cannot be reached, so the output is always one line per check.
public enum MasterDatabaseDoctor {
    /// Columns tenant-edge reads (DESIGN.md section 4); others are ignored.
    static let expectedColumns: [(table: String, columns: [String])] = [
        ("stores", ["id", "slug", "status", "is_active"]),
        ("store_hostnames", ["hostname", "store_id", "is_custom_domain", "is_primary", "ssl_enabled"]),
    ]

    public static func run(connectionString: String, policy: RoutingPolicy, snapshotPath: String?) -> [DoctorCheck] {
        var checks: [DoctorCheck] = []
        let connection: PostgresConnection
        do {
            connection = try PostgresConnection.connect(connectionString)
            let version = (try? connection.query("SHOW server_version"))?[0, 0] ?? "?"
            let user = (try? connection.query("SELECT current_user"))?[0, 0] ?? "?"
            checks.append(DoctorCheck("database", .ok, "connected to \(connection.endpoint) as \(user) (PostgreSQL \(version))"))
        } catch {
            checks.append(DoctorCheck("database", .failure, "\(error)", fix: connectFix(error)))
            for name in ["platform tables", "migration", "listen/notify", "rows"] {
                checks.append(DoctorCheck(name, .failure, "not checked: no database connection",
                                          fix: "fix the database check first"))
            }
            checks.append(snapshotCheck(snapshotPath))
            return checks
        }
        let tablesOK = tablesCheck(connection, into: &checks)
        checks.append(migrationCheck(connection))
        checks.append(probeCheck(connection))
        if tablesOK {
            checks.append(rowsCheck(connection, policy: policy))
        } else {
            checks.append(DoctorCheck("rows", .failure, "not checked: platform tables missing",
                                      fix: "fix the platform tables check first"))
        }
        checks.append(snapshotCheck(snapshotPath))
        return checks
    }

    private static func connectFix(_ error: MasterDBError) -> String {
        switch error.code {
        case .invalidConnectionString:
            return "the variable named by master_db.url_env must hold a libpq URL (postgresql://user:pass@host:5432/db) or keyword string"
        default:
            if error.detail.contains("password") || error.detail.contains("authentication") {
                return "check the user and password in the connection string, and pg_hba.conf for this host"
            }
            return "check host and port in the connection string, that PostgreSQL runs and listens there (listen_addresses), and firewalls"
        }
    }

    private static func tablesCheck(_ connection: PostgresConnection, into checks: inout [DoctorCheck]) -> Bool {
        do {
            let rows = try connection.query("""
                SELECT table_name::text, column_name::text FROM information_schema.columns
                WHERE table_schema = ANY(current_schemas(false)) AND table_name IN ('stores', 'store_hostnames')
                """)
            var found: [String: Set<String>] = [:]
            for row in rows.rows { found[row[0] ?? "", default: []].insert(row[1] ?? "") }
            var problems: [String] = []
            for (table, columns) in expectedColumns {
                guard let present = found[table] else {
                    problems.append("table \(table) not found")
                    continue
                }
                let missing = columns.filter { !present.contains($0) }
                if !missing.isEmpty { problems.append("\(table) lacks \(missing.joined(separator: ", "))") }
            }
            if problems.isEmpty {
                checks.append(DoctorCheck("platform tables", .ok, "stores and store_hostnames have the expected columns"))
                return true
            }
            checks.append(DoctorCheck(
                "platform tables", .failure, problems.joined(separator: "; "),
                fix: "connect to the platform's database (and schema, via search_path); tenant-edge reads "
                    + expectedColumns.map { "\($0.table)(\($0.columns.joined(separator: ", ")))" }.joined(separator: " and ")))
            return false
        } catch {
            checks.append(DoctorCheck("platform tables", .failure, "\(error)", fix: "grant SELECT on information_schema to this user"))
            return false
        }
    }

    private static func migrationCheck(_ connection: PostgresConnection) -> DoctorCheck {
        do {
            let rows = try connection.query("""
                SELECT to_regclass('tenant_edge_changes') IS NOT NULL,
                       (SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'
                          AND ((tgrelid = to_regclass('stores') AND tgname = 'tenant_edge_stores_changed')
                            OR (tgrelid = to_regclass('store_hostnames') AND tgname = 'tenant_edge_store_hostnames_changed')))::text,
                       to_regproc('tenant_edge_prune_changes') IS NOT NULL
                """)
            let hasLog = rows[0, 0] == "t"
            let triggers = Int(rows[0, 1] ?? "") ?? 0
            let hasPrune = rows[0, 2] == "t"
            if hasLog, triggers == 2, hasPrune {
                let bounds = try connection.query("SELECT count(*)::text, coalesce(max(seq), 0)::text FROM tenant_edge_changes")
                return DoctorCheck("migration", .ok, "change log, both triggers and the prune function present (\(bounds[0, 0] ?? "?") log rows, max seq \(bounds[0, 1] ?? "?"))")
            }
            var missing: [String] = []
            if !hasLog { missing.append("table tenant_edge_changes") }
            if triggers < 2 { missing.append("\(2 - triggers) of 2 triggers (absent or disabled)") }
            if !hasPrune { missing.append("function tenant_edge_prune_changes") }
            return DoctorCheck("migration", .failure, "missing \(missing.joined(separator: ", "))",
                               fix: "run tenant-edge migrate --config FILE (or psql -f config/sql/tenant_edge_migration.sql)")
        } catch {
            return DoctorCheck("migration", .failure, "\(error)", fix: "check the user's privileges on the catalog")
        }
    }

    private static func probeCheck(_ connection: PostgresConnection) -> DoctorCheck {
        do {
            if let milliseconds = try NotifyProbe.run(connection) {
                return DoctorCheck("listen/notify", .ok, String(format: "self-NOTIFY came back in %.1f ms", milliseconds))
            }
            return DoctorCheck(
                "listen/notify", .failure, "self-NOTIFY did not come back within 2 s (the proxy would poll every second instead)",
                fix: "connect without a transaction-mode pooler: Supabase's port 6543 and PgBouncer pool_mode=transaction drop LISTEN; use the direct connection or a session pooler (port 5432)")
        } catch {
            return DoctorCheck("listen/notify", .failure, "\(error)", fix: "the user needs to be allowed to LISTEN and NOTIFY")
        }
    }

    private static func rowsCheck(_ connection: PostgresConnection, policy: RoutingPolicy) -> DoctorCheck {
        do {
            let load = try RouteLoader.loadBase(connection, policy: policy)
            let table = RouteTable(base: load.base, generation: 1, sequence: load.sequence)
            let loaded = "\(table.hostCount) of \(load.hostnameRows) hostnames and \(table.storeCount) of \(load.storeRows) stores load"
            let skipped = table.skippedRows
            guard !skipped.isEmpty else { return DoctorCheck("rows", .ok, "\(loaded), none skipped") }
            var reasons: [String: Int] = [:]
            for row in skipped { reasons["\(row.source.rawValue): \(row.reason)", default: 0] += 1 }
            let summary = reasons.sorted { $0.value > $1.value }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            let examples = skipped.prefix(3).map { "\"\($0.value)\"" }.joined(separator: ", ")
            return DoctorCheck("rows", .warning, "\(loaded); \(skipped.count) skipped (\(summary))",
                               fix: "correct or delete these rows in the platform database, e.g. \(examples); the rest of the map is served regardless")
        } catch {
            return DoctorCheck("rows", .failure, "\(error)", fix: "grant SELECT on stores and store_hostnames to this user")
        }
    }

    private static func snapshotCheck(_ path: String?) -> DoctorCheck {
        guard let path else {
            return DoctorCheck("snapshot", .warning, "master_db.snapshot_path is not set",
                               fix: "set master_db.snapshot_path so a restart while the database is down still serves the last map")
        }
        let directory = (path as NSString).deletingLastPathComponent
        let folder = directory.isEmpty ? "." : directory
        let probe = "\(folder)/.tenant-edge-doctor.\(getpid()).tmp"
        let descriptor = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            return DoctorCheck("snapshot", .failure, "cannot create files in \(folder): \(reason)",
                               fix: "create \(folder) and let the user running tenant-edge write to it")
        }
        close(descriptor)
        unlink(probe)
        if access(path, F_OK) == 0, access(path, W_OK) != 0 {
            return DoctorCheck("snapshot", .warning, "\(path) exists and is not writable (it is replaced by rename, which the folder allows)")
        }
        let exists = access(path, F_OK) == 0
        return DoctorCheck("snapshot", .ok, "\(path) is writable" + (exists ? "" : " (not written yet)"))
    }
}
