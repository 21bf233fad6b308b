import ArgumentParser
import Foundation
import TenantContext
import TenantEdgeConfig

/// `tenant-edge token sign`: a token exactly as the running proxy would sign it (same config,
/// same `sign_with` key), for backend tests and for reproducing a rejection.
struct TokenSignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign", abstract: "Sign a token with the configured sign_with key (for tests).")

    @OptionGroup var options: ConfigOption

    @Option(name: .customLong("store-id"), help: "Store id (sub and store_id claims).")
    var storeId: String

    @Option(name: .long, help: "Store slug.")
    var slug: String

    @Option(name: .long, help: "Normalized host.")
    var host: String

    @Option(name: .customLong("host-kind"), help: "custom or platform.")
    var hostKind = "platform"

    @Option(name: .long, help: "Store status.")
    var status = "active"

    func run() throws {
        let config: EdgeConfig
        do {
            config = try ConfigLoader.load(path: options.config)
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        let settings = config.tenantContext
        let signer = TenantContextSigner(
            key: settings.makeKeyRing().signingKey, issuer: settings.issuer, audience: settings.audience,
            ttlSeconds: settings.ttlSeconds)
        print(signer.sign(storeId: storeId, slug: slug, host: host.lowercased(), hostKind: hostKind, status: status,
                          now: Int64(Date().timeIntervalSince1970)))
    }
}
