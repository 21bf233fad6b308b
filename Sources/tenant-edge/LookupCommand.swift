import ArgumentParser
import TenantEdgeConfig
import TenantEdgeCore
import TenantEdgeMaster

/// Answers "what does this host reach, and why" from the live master database, with the
/// same normalizer, lookup order and store-state rules the proxy uses.
struct LookupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lookup", abstract: "Print what a host resolves to.")

    @OptionGroup var options: ConfigOption

    @Argument(help: "The host, as a client would send it (port and case allowed).")
    var host: String

    func run() throws {
        let table: RouteTable
        let config: EdgeConfig
        do {
            config = try ConfigLoader.load(path: options.config)
            let connection = try PostgresConnection.connect(config.masterDBURL)
            let data = try RouteLoader.loadAll(connection)
            table = RouteTable(data: data, policy: SettingsBuilder.policy(config), generation: 1)
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        print(LookupReport.render(host: host, table: table))
    }
}
