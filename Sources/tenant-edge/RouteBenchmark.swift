import Foundation
import Logging
import Synchronization
import TenantEdgeCore
import TenantEdgeMaster

/// The measurements behind `bench-routes`; each appends its rows to the report.
enum RouteBenchmark {
    static let policy = RoutingPolicy(platformDomains: ["platform.bench"])

    /// N hostnames over N/2 stores, named like `scripts/bench-routes` names its rows.
    static func synthetic(hosts: Int, report: inout RouteBenchmarkReport) -> RouteTable {
        let storeCount = max(1, hosts / 2)
        var data = RouteMapData()
        data.stores.reserveCapacity(storeCount)
        data.hostnames.reserveCapacity(hosts)
        for index in 0 ..< storeCount {
            let id = String(format: "00000000-0000-4000-8000-%012x", index)
            data.stores.append(StoreRecord(id: id, slug: "s\(index)", status: "active", isActive: true))
            data.hostnames.append(HostnameRecord(hostname: "s\(index).platform.bench", storeId: id, isCustomDomain: false))
            if data.hostnames.count < hosts {
                data.hostnames.append(HostnameRecord(hostname: "www.shop\(index).example", storeId: id, isCustomDomain: true))
            }
        }
        let started = DispatchTime.now().uptimeNanoseconds
        let table = RouteTable(data: data, policy: policy, generation: 1)
        let elapsed = DispatchTime.now().uptimeNanoseconds - started
        report.add("full build, \(table.hostCount) hostnames (in memory)", RouteBenchmarkReport.milliseconds(elapsed))
        report.add("index memory", String(format: "%.1f MiB", Double(table.indexMemoryFootprint) / 1_048_576))
        return table
    }

    static func lookups(_ table: RouteTable, count: Int, report: inout RouteBenchmarkReport) {
        let sampleCount = min(100_000, max(1, table.hostCount))
        var bytes: [UInt8] = []
        var offsets: [Int] = [0]
        for _ in 0 ..< sampleCount {
            bytes.append(contentsOf: table.hostname(Int.random(in: 0 ..< max(1, table.hostCount))).utf8)
            offsets.append(bytes.count)
        }
        var found = 0
        let started = DispatchTime.now().uptimeNanoseconds
        bytes.withUnsafeBytes { buffer in
            for round in 0 ..< count {
                let sample = (round &* 40_503) % sampleCount
                let key = UnsafeRawBufferPointer(rebasing: buffer[offsets[sample] ..< offsets[sample + 1]])
                if table.resolve(key, isIPLiteral: false).storeIndex >= 0 { found += 1 }
            }
        }
        let elapsed = DispatchTime.now().uptimeNanoseconds - started
        report.add("lookup, \(table.hostCount)-host map, random hosts",
                   String(format: "%.0f ns per lookup (%d of %d found)", Double(elapsed) / Double(count), found, count))
    }

    /// Applying a batch through the editor alone (no database): the in-process cost of a batch.
    static func editor(_ table: RouteTable, batch: Int, report: inout RouteBenchmarkReport) {
        guard table.storeCount > 0 else { return }
        let storeId = table.store(0).id
        var editor = RouteTableEditor(table: table)
        let started = DispatchTime.now().uptimeNanoseconds
        for index in 0 ..< batch {
            editor.upsertHostname(HostnameRecord(hostname: "editor-\(index).bench.test", storeId: storeId, isCustomDomain: true))
        }
        let next = editor.table(generation: table.generation + 1, sequence: table.sequence + 1)
        let applied = DispatchTime.now().uptimeNanoseconds - started
        report.add("apply \(batch) changes to the map (editor, no DB)", RouteBenchmarkReport.milliseconds(applied))
        let compactStarted = DispatchTime.now().uptimeNanoseconds
        let compacted = RouteTableEditor.compact(next, generation: next.generation + 1)
        let compactElapsed = DispatchTime.now().uptimeNanoseconds - compactStarted
        report.add("compaction into a new base, \(compacted.hostCount) hostnames", RouteBenchmarkReport.milliseconds(compactElapsed))
    }

    /// The feed against a real database: start-up load, then changes timed from before their
    /// COMMIT to the moment the feed publishes a table that routes them.
    static func database(url: String, changes: Int, batch: Int, report: inout RouteBenchmarkReport) throws -> RouteTable {
        var logger = Logger(label: "bench-routes")
        logger.logLevel = .warning
        let feed = ChangeFeed(configuration: ChangeFeedConfiguration(connectionString: url, policy: policy, snapshotPath: nil),
                              logger: logger)
        let started = DispatchTime.now().uptimeNanoseconds
        let initial = try feed.start().table
        let loadElapsed = DispatchTime.now().uptimeNanoseconds - started
        report.add("load \(initial.hostCount) hostnames at start (DB, full feed start)", RouteBenchmarkReport.milliseconds(loadElapsed))
        report.add("peak RSS after the load", String(format: "%.0f MiB", RouteBenchmarkReport.peakResidentMiB()))

        let latest = Mutex<(table: RouteTable, at: UInt64)>((initial, started))
        let published = DispatchSemaphore(value: 0)
        feed.run { table in
            latest.withLock { $0 = (table, DispatchTime.now().uptimeNanoseconds) }
            published.signal()
        }
        let writer = try PostgresConnection.connect(url)
        let storeId = try writer.query("SELECT id::text FROM stores ORDER BY id LIMIT 1")[0, 0] ?? ""
        let tag = "\(getpid())-\(UInt32.random(in: .min ... .max))"

        /// Nanoseconds from `start` until a published table routes `host`; nil after 10 s.
        func waitRoutable(_ host: String, since start: UInt64) -> UInt64? {
            let deadline = DispatchTime.now() + 10
            while DispatchTime.now() < deadline {
                let (table, at) = latest.withLock { $0 }
                if table.resolve(host).rule == .exact { return at > start ? at - start : 0 }
                _ = published.wait(timeout: .now() + .milliseconds(50))
            }
            return nil
        }

        var latencies: [Double] = []
        var missed = 0
        for index in 0 ..< changes {
            let host = "prop-\(index)-\(tag).bench.test"
            let start = DispatchTime.now().uptimeNanoseconds
            try writer.execute("INSERT INTO store_hostnames (store_id, hostname) VALUES ('\(storeId)', '\(host)')")
            if let elapsed = waitRoutable(host, since: start) { latencies.append(Double(elapsed) / 1e6) } else { missed += 1 }
            usleep(5_000)
        }
        latencies.sort()
        report.add("propagation COMMIT -> published, \(changes) single changes",
                   String(format: "p50 %.2f ms, p99 %.2f ms, max %.2f ms%@", RouteBenchmarkReport.percentile(latencies, 0.5),
                          RouteBenchmarkReport.percentile(latencies, 0.99), latencies.last ?? 0,
                          missed > 0 ? ", \(missed) not seen in 10 s" : ""))

        let batchStart = DispatchTime.now().uptimeNanoseconds
        try writer.execute("""
            INSERT INTO store_hostnames (store_id, hostname)
            SELECT '\(storeId)', 'batch-' || g || '-\(tag).bench.test' FROM generate_series(1, \(batch)) g
            """)
        let committed = DispatchTime.now().uptimeNanoseconds
        let lastHost = "batch-\(batch)-\(tag).bench.test"
        if let elapsed = waitRoutable(lastHost, since: batchStart) {
            let table = latest.withLock { $0.table }
            var routable = 0
            for index in 1 ... batch where table.resolve("batch-\(index)-\(tag).bench.test").rule == .exact { routable += 1 }
            let afterCommit = elapsed > (committed - batchStart) ? elapsed - (committed - batchStart) : 0
            report.add("batch of \(batch) hostnames in one transaction",
                       "\(RouteBenchmarkReport.milliseconds(committed - batchStart)) to COMMIT, "
                           + "\(RouteBenchmarkReport.milliseconds(afterCommit)) COMMIT -> published (\(routable) routable)")
        } else {
            report.add("batch of \(batch) hostnames in one transaction", "not routable within 10 s")
        }
        report.add("peak RSS at the end", String(format: "%.0f MiB", RouteBenchmarkReport.peakResidentMiB()))
        feed.stop()
        return latest.withLock { $0.table }
    }
}
