import ArgumentParser

/// `tenant-edge keys ...`: managing tenant-context signing keys.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Manage tenant-context signing keys.",
        subcommands: [KeysGenerateCommand.self])
}
