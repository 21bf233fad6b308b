import Foundation
import Testing
@testable import TenantEdgeConfig

/// `tenant_context.keys` with PEM key files: paths relative to the config file, and every way a
/// key file can be wrong reported with the key, the line and the path.
struct KeyConfigTests {
    static let p256PEM = """
        -----BEGIN EC PRIVATE KEY-----
        MHcCAQEEIO9CnSsUdXh66i84zMoXXqMeJnnASYEhm3cCb8TqJ8LCoAoGCCqGSM49
        AwEHoUQDQgAE/hBbdakRIG+NZqUiYmVmvAS0sdfSlHTzztRNKY3fN9F+SutUwEPO
        jcrdx+LuDR9yDw6tQu/3RkOfRW5hKyFOuQ==
        -----END EC PRIVATE KEY-----

        """
    static let ed25519PEM = """
        -----BEGIN PRIVATE KEY-----
        MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC
        -----END PRIVATE KEY-----

        """
    static let environment = ["MASTER_DB_URL": "host=x", "TENANT_CONTEXT_SECRET": String(repeating: "s", count: 40)]

    static func yaml(signWith: String, keys: [String]) -> String {
        """
        listen:
          - { address: "0.0.0.0:8080" }
        upstreams:
          default: { servers: ["127.0.0.1:3000"] }
        tenant_context:
          sign_with: \(signWith)
          keys:
        \(keys.map { "    - " + $0 }.joined(separator: "\n"))
        """
    }

    /// A fresh folder with the two key files, removed by the caller.
    static func keyDirectory() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keycfg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/keys", withIntermediateDirectories: true)
        try p256PEM.write(toFile: directory + "/keys/ec1.pem", atomically: true, encoding: .utf8)
        try ed25519PEM.write(toFile: directory + "/keys/ed1.pem", atomically: true, encoding: .utf8)
        return directory
    }

    func load(_ yaml: String, directory: String) throws(ConfigError) -> EdgeConfig {
        try ConfigLoader.load(yaml: yaml, file: "edge.yaml", configDirectory: directory, environment: Self.environment)
    }

    func problems(_ yaml: String, directory: String) -> [String] {
        do {
            _ = try load(yaml, directory: directory)
            Issue.record("expected the config to be rejected")
            return []
        } catch {
            return error.problems.map { "\($0.line ?? 0) \($0.keyPath): \($0.message)" }
        }
    }

    @Test func asymmetricKeysLoadFromFilesRelativeToTheConfig() throws {
        let directory = try Self.keyDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try load(Self.yaml(signWith: "ec1", keys: [
            "{ kid: k1, alg: HS256, secret_env: TENANT_CONTEXT_SECRET }",
            "{ kid: ed1, alg: EdDSA, private_key_file: keys/ed1.pem }",
            "{ kid: ec1, alg: ES256, private_key_file: \(directory)/keys/ec1.pem }",
        ]), directory: directory)
        let keys = config.tenantContext.keys
        #expect(keys.map(\.algorithm.rawValue) == ["HS256", "EdDSA", "ES256"])
        #expect(keys[1].privateKeyFile == directory + "/keys/ed1.pem")
        #expect(config.tenantContext.signingKey.kid == "ec1")
        let ring = config.tenantContext.makeKeyRing()
        #expect(ring.signingKey.algorithm == .es256)
        #expect(ring.jwks.contains(#""kid":"ed1""#) && ring.jwks.contains(#""kid":"ec1""#) && !ring.jwks.contains("k1"))
        // The RFC 8410 example key's public half.
        #expect(ring.jwks.contains("Gb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE"))
        let printed = "\(keys) \(String(reflecting: keys))"
        #expect(!printed.contains("PRIVATE KEY") && !printed.contains("MC4CAQ"))
    }

    @Test func badKeyFilesAreReportedWithKeyLineAndPath() throws {
        let directory = try Self.keyDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let found = problems(Self.yaml(signWith: "k1", keys: [
            "{ kid: k1, alg: HS256, secret_env: TENANT_CONTEXT_SECRET }",
            "{ kid: gone, alg: ES256, private_key_file: keys/missing.pem }",
            "{ kid: swapped, alg: EdDSA, private_key_file: keys/ec1.pem }",
            "{ kid: mixed, alg: ES256, secret_env: TENANT_CONTEXT_SECRET }",
            "{ kid: nofile, alg: EdDSA }",
            "{ kid: hsfile, alg: HS256, private_key_file: keys/ec1.pem }",
            "{ kid: rsa, alg: RS256, private_key_file: keys/ec1.pem }",
        ]), directory: directory)
        #expect(found.count == 6)
        #expect(found[0] == "9 tenant_context.keys[1].private_key_file: key 'gone': no such file: \(directory)/keys/missing.pem")
        #expect(found[1].hasPrefix("10 tenant_context.keys[2].private_key_file: key 'swapped': \(directory)/keys/ec1.pem: not an Ed25519"))
        #expect(found[2] == "11 tenant_context.keys[3].secret_env: key 'mixed': ES256 takes private_key_file, not secret_env")
        #expect(found[3].hasPrefix("12 tenant_context.keys[4]") && found[3].contains("private_key_file"))
        #expect(found[4] == "13 tenant_context.keys[5].private_key_file: key 'hsfile': HS256 takes secret_env, not a key file")
        #expect(found[5] == "14 tenant_context.keys[6].alg: key 'rsa': unsupported algorithm 'RS256' (supported: HS256, ES256, EdDSA)")
    }

    @Test func unreadableKeyFileIsReported() throws {
        guard getuid() != 0 else { return }  // root reads anything
        let directory = try Self.keyDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        chmod(directory + "/keys/ec1.pem", 0o000)
        let found = problems(Self.yaml(signWith: "ec1", keys: ["{ kid: ec1, alg: ES256, private_key_file: keys/ec1.pem }"]),
                             directory: directory)
        #expect(found == ["8 tenant_context.keys[0].private_key_file: key 'ec1': cannot read: \(directory)/keys/ec1.pem"])
    }
}
