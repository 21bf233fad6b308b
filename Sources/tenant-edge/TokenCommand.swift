import ArgumentParser

/// `tenant-edge token ...`: signing and checking X-Tenant-Context tokens by hand, for
/// debugging a backend that rejects the header and for tests.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Sign or verify X-Tenant-Context tokens.",
        subcommands: [TokenVerifyCommand.self, TokenSignCommand.self])
}
