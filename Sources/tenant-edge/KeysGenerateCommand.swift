import ArgumentParser
import Foundation
import TenantContext

/// `tenant-edge keys generate`: a new key and the config stanza that uses it, so that setting up
/// ES256 is one command rather than an openssl recipe. The key file is created with mode 0600
/// (never world-readable, even for a moment) and never overwritten.
struct KeysGenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Generate a tenant-context signing key and print its config stanza.")

    @Option(name: .long, help: "ES256, EdDSA or HS256.")
    var alg: String

    @Option(name: .long, help: "Key id (the token header's kid).")
    var kid: String

    @Option(name: .long, help: "Private key file to write (ES256/EdDSA; default: <kid>.pem).")
    var out: String?

    func run() throws {
        guard let algorithm = SigningAlgorithm(rawValue: alg) else {
            printError("unsupported --alg '\(alg)' (supported: ES256, EdDSA, HS256)")
            throw ExitCode(2)
        }
        guard let pem = PrivateKeyPEM.generate(algorithm) else {
            var random = SystemRandomNumberGenerator()
            let secret = Base64URL.encode((0 ..< 32).map { _ in UInt8.random(in: 0 ... 255, using: &random) })
            let variable = "TENANT_CONTEXT_SECRET_" + kid.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
            print("# Put this secret in the environment of the edge and of every backend:")
            print("export \(variable)='\(secret)'")
            print("# tenant_context.keys entry:")
            print("    - { kid: \(kid), alg: HS256, secret_env: \(variable) }")
            return
        }
        let path = out ?? "\(kid).pem"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            printError("cannot create \(path): \(String(cString: strerror(errno)))")
            throw ExitCode(1)
        }
        let bytes = Array(pem.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        guard written == bytes.count else {
            printError("cannot write \(path)")
            throw ExitCode(1)
        }
        print("# Wrote \(path) (mode 0600). tenant_context.keys entry (path relative to the config file):")
        print("    - { kid: \(kid), alg: \(algorithm.rawValue), private_key_file: \(path) }")
        print("# Backends fetch the public key from the admin listener: /.well-known/jwks.json")
    }
}
