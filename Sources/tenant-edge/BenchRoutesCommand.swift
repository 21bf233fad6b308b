import ArgumentParser
import Foundation
import Logging
import TenantEdgeCore
import TenantEdgeMaster

/// `tenant-edge bench-routes --hosts N`: the route-map microbenchmark (issue 3's figures).
///
/// Without a database it measures what needs none: building an N-host table, lookups against
/// it, applying 10,000 changes through the editor, compaction. With
/// `TENANT_EDGE_BENCH_DB_URL` (a database holding the platform tables, the migration and the
/// rows, as `scripts/bench-routes` prepares it) it measures the real path: the start-up load
/// and its peak memory, COMMIT-to-published latency over single changes, and a 10,000-row
/// transaction. Hidden: it is a tool for the benchmark scripts, not for operators.
struct BenchRoutesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-routes", abstract: "Route-map microbenchmark (used by scripts/bench-routes).",
        shouldDisplay: false)

    @Option(help: "Hostnames in the synthetic map (ignored with a database: its rows count).")
    var hosts = 1_000_000

    @Option(help: "Single changes timed for propagation (database only).")
    var changes = 200

    @Option(help: "Rows in the batch transaction (database and editor).")
    var batch = 10_000

    @Option(help: "Lookups timed.")
    var lookups = 2_000_000

    func run() throws {
        var report = RouteBenchmarkReport()
        let table: RouteTable
        if let url = ProcessInfo.processInfo.environment["TENANT_EDGE_BENCH_DB_URL"], !url.isEmpty {
            table = try RouteBenchmark.database(url: url, changes: changes, batch: batch, report: &report)
        } else {
            table = RouteBenchmark.synthetic(hosts: hosts, report: &report)
        }
        RouteBenchmark.lookups(table, count: lookups, report: &report)
        RouteBenchmark.editor(table, batch: batch, report: &report)
        print(report.render())
    }
}
