import ArgumentParser
import TenantEdgeConfig
import TenantEdgeMaster

/// Applies the project's own additive migration (change log and triggers) to the master
/// database. Idempotent: running it again changes nothing.
struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Apply tenant-edge's SQL migration to the master database.")

    @OptionGroup var options: ConfigOption

    func run() throws {
        do {
            let config = try ConfigLoader.load(path: options.config)
            let connection = try PostgresConnection.connect(config.masterDBURL)
            try Migration.apply(connection)
            print("migration applied to \(config.redactedMasterDBURL)")
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
    }
}
