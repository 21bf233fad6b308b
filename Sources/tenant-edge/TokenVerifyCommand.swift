import ArgumentParser
import Foundation
import TenantContext

/// `tenant-edge token verify`: the same checks, in the same order, as a backend using the
/// TenantContext library, so "why does my backend reject this header" has an answer that
/// names the failing check.
struct TokenVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Verify a token; print its claims, or why it is invalid (exit 1).")

    @Option(name: .long, help: "JWKS file (e.g. saved from the admin listener's /.well-known/jwks.json).")
    var jwks: String?

    @Option(name: .customLong("secret-env"), help: "Environment variable holding the HS256 secret.")
    var secretEnv: String?

    @Option(name: .long, help: "Key id of the HS256 secret (default: the token's kid).")
    var kid: String?

    @Option(name: .long, help: "Expected aud.")
    var audience = "tenant-backend"

    @Option(name: .long, help: "Expected iss.")
    var issuer = "tenant-edge"

    @Option(name: .long, help: "The request's Host, which the token's host claim must match.")
    var host: String?

    @Argument(help: "The token (the X-Tenant-Context header value).")
    var token: String

    func run() throws {
        let now = Int64(Date().timeIntervalSince1970)
        let verifier: TenantContextVerifier
        switch (jwks, secretEnv) {
        case (let path?, nil):
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                printError("cannot read JWKS file \(path)")
                throw ExitCode(2)
            }
            do {
                verifier = try TenantContextVerifier(jwks: text, expectedIssuer: issuer, expectedAudience: audience)
            } catch {
                printError("\(path): \(error)")
                throw ExitCode(2)
            }
        case (nil, let variable?):
            guard let secret = ProcessInfo.processInfo.environment[variable], !secret.isEmpty else {
                printError("environment variable \(variable) is not set")
                throw ExitCode(2)
            }
            let key = SigningKey(kid: kid ?? Self.headerKid(token) ?? "", secret: secret)
            verifier = TenantContextVerifier(keys: [key], expectedIssuer: issuer, expectedAudience: audience)
        default:
            printError("give exactly one of --jwks FILE or --secret-env VAR")
            throw ExitCode(2)
        }
        do {
            let claims = try verifier.verify(token, now: now, host: host)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(claims), as: UTF8.self))
        } catch let error as TenantContextError {
            print("invalid: \(error)")
            throw ExitCode(1)
        }
    }

    /// The header's kid, read unverified only to pick the one HS256 secret given.
    static func headerKid(_ token: String) -> String? {
        guard let first = token.split(separator: ".").first, let json = Base64URL.decode(first),
              let header = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] else { return nil }
        return header["kid"] as? String
    }
}
