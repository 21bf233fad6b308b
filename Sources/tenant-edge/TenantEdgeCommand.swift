import ArgumentParser

@main
struct TenantEdgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant-edge",
        abstract: "Edge hostname router for a multi-tenant store platform.",
        subcommands: [ServeCommand.self, CheckConfigCommand.self, LookupCommand.self, MigrateCommand.self, DoctorCommand.self, BenchRoutesCommand.self,
                      KeysCommand.self, TokenCommand.self])
}

/// The `--config` option every subcommand takes.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Path to the YAML configuration file.")
    var config: String
}
