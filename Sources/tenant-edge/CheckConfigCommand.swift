import ArgumentParser
import TenantEdgeConfig

/// Validates a configuration file the way `serve` would, without serving: every problem
/// at once, each with its key and line, and a non-zero exit if there is any.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: "Validate a configuration file and exit.")

    @OptionGroup var options: ConfigOption

    func run() throws {
        do {
            let config = try ConfigLoader.load(path: options.config)
            _ = try SettingsBuilder.build(config)
            _ = try SettingsBuilder.certificates(config, ticketKeys: nil, logger: nil)
            print("\(options.config): OK (\(config.listeners.count) listener(s), \(config.upstreams.count) upstream(s), master DB \(config.redactedMasterDBURL))")
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
    }
}
