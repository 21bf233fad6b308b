import TenantEdgeCore

/// Reads `ChangeBatch`es from the master database.
enum ChangeReader {
    /// Entries per read: a 10,000-row transaction is one read; a backlog after a long outage
    /// is read in pieces so no single transaction or batch grows without bound.
    static let limit = 50_000

    /// Entries after `after` (plus the `recheck` numbers), and the current rows they name.
    /// The transaction is short and always ends, so the LISTEN connection never sits in one.
    static func read(_ connection: PostgresConnection, after: Int64, recheck: [Int64]) throws(MasterDBError) -> ChangeBatch {
        try RouteLoader.inReadOnlyTransaction(connection) { () throws(MasterDBError) -> ChangeBatch in
            var batch = ChangeBatch()
            let bounds = try connection.query(
                "SELECT coalesce(min(seq), 0)::text, coalesce(max(seq), 0)::text FROM tenant_edge_changes")
            batch.logMinimum = Int64(bounds[0, 0] ?? "") ?? 0
            batch.logMaximum = Int64(bounds[0, 1] ?? "") ?? 0
            let recheckArray = "{" + recheck.map(String.init).joined(separator: ",") + "}"
            let entries = try connection.query("""
                SELECT c.seq::text AS sequence, c.table_name, c.store_id::text, c.hostname FROM tenant_edge_changes c
                WHERE c.seq > $1::bigint OR c.seq = ANY($2::bigint[]) ORDER BY c.seq LIMIT \(limit)
                """, params: [String(after), recheckArray])
            batch.hitLimit = entries.count == limit
            var storeIds = Set<String>()
            var hostnames = Set<String>()
            for row in entries.rows {
                guard let sequence = row[0].flatMap({ Int64($0) }) else { continue }
                batch.sequences.append(sequence)
                switch row[1] {
                case "stores": if let id = row[2] { storeIds.insert(id) }
                case "store_hostnames": if let hostname = row[3] { hostnames.insert(hostname) }
                default: break
                }
            }
            // The highest number read bounds the re-read below (ordered by the bigint column:
            // ordering by a text alias would put 9999 after 10000).
            guard let highest = batch.sequences.max() else { return batch }
            // The same entries again (same snapshot, same predicate, bounded by what was read),
            // as a subquery, so no list of keys has to be quoted into the statement.
            let entryFilter = "(seq > $1::bigint AND seq <= $2::bigint) OR seq = ANY($3::bigint[])"
            let params: [String?] = [String(after), String(highest), recheckArray]
            if !storeIds.isEmpty {
                let rows = try connection.query("""
                    SELECT id::text, slug, status, is_active FROM stores WHERE id IN (
                        SELECT store_id FROM tenant_edge_changes WHERE table_name = 'stores' AND (\(entryFilter)))
                    """, params: params)
                for id in storeIds { batch.stores[id] = .some(nil) }
                for row in rows.rows {
                    let record = RouteLoader.storeRecord(row)
                    batch.stores[record.id] = record
                }
            }
            if !hostnames.isEmpty {
                let rows = try connection.query("""
                    SELECT hostname, store_id::text, is_custom_domain, is_primary, ssl_enabled FROM store_hostnames
                    WHERE hostname IN (
                        SELECT hostname FROM tenant_edge_changes WHERE table_name = 'store_hostnames' AND (\(entryFilter)))
                    """, params: params)
                for hostname in hostnames { batch.hostnames[hostname] = .some(nil) }
                for row in rows.rows {
                    let record = RouteLoader.hostnameRecord(row)
                    batch.hostnames[record.hostname] = record
                }
            }
            return batch
        }
    }
}
