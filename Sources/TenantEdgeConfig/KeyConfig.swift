import Foundation
import TenantContext
import Yams

/// One tenant-context signing key, either
/// `{ kid: k1, alg: HS256, secret_env: TENANT_CONTEXT_SECRET }` or
/// `{ kid: k2, alg: ES256, private_key_file: keys/k2.pem }` (ES256 or EdDSA; the path is
/// relative to the config file). Several keys let a new key be published before it is used
/// for signing (rotation).
public struct KeyConfig: Sendable, Equatable {
    /// Key id, sent in the token header so backends pick the right key.
    public var kid: String
    public var algorithm: SigningAlgorithm
    /// HS256: name of the environment variable the secret was read from (for messages).
    public var secretEnv: String?
    /// HS256: the secret's bytes (UTF-8 of the variable's value). Never printed.
    public var secret: [UInt8]
    /// ES256/EdDSA: absolute path of the PEM private key file (for messages).
    public var privateKeyFile: String?
    /// ES256/EdDSA: the PEM text, already checked to hold a key of `algorithm`. Never printed.
    public var privateKeyPEM: String?

    public init(kid: String, algorithm: SigningAlgorithm, secretEnv: String, secret: [UInt8]) {
        self.kid = kid
        self.algorithm = algorithm
        self.secretEnv = secretEnv
        self.secret = secret
    }

    /// An asymmetric key; `privateKeyPEM` must hold a private key of `algorithm`.
    public init(kid: String, algorithm: SigningAlgorithm, privateKeyFile: String, privateKeyPEM: String) {
        self.kid = kid
        self.algorithm = algorithm
        self.secret = []
        self.privateKeyFile = privateKeyFile
        self.privateKeyPEM = privateKeyPEM
    }

    /// The key in the form the signer and verifier use.
    public func makeSigningKey() -> SigningKey {
        switch algorithm {
        case .hs256:
            return SigningKey(kid: kid, secretBytes: secret)
        case .es256, .edDSA:
            // Loading parsed this very PEM, so failing here is a programming error.
            guard let pem = privateKeyPEM, let key = try? SigningKey(kid: kid, algorithm: algorithm, privateKeyPEM: pem) else {
                preconditionFailure("key \(kid): private key was not validated at load")
            }
            return key
        }
    }

    /// RFC 7518 section 3.2: an HS256 key must be at least as long as the hash output.
    public static let minimumHS256SecretBytes = 32
}

/// Printing or dumping a config must not leak the secret.
extension KeyConfig: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        if let privateKeyFile {
            return "KeyConfig(kid: \(kid), algorithm: \(algorithm.rawValue), privateKeyFile: \(privateKeyFile))"
        }
        return "KeyConfig(kid: \(kid), algorithm: \(algorithm.rawValue), secretEnv: \(secretEnv ?? ""), secret: ***)"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["kid": kid, "algorithm": algorithm, "secretEnv": secretEnv as Any,
                                "privateKeyFile": privateKeyFile as Any, "secret": "***"])
    }
}

extension KeyConfig {
    static func read(_ node: Node, at path: String, _ reader: ConfigReader) -> KeyConfig? {
        guard let map = reader.mapping(node, at: path, keys: ["kid", "alg", "secret_env", "private_key_file"]) else { return nil }
        let kid = map.require("kid", reader).flatMap { reader.string($0, at: map.path("kid")) }
        let name = kid.map { "key '\($0)'" } ?? "key"
        var algorithm: SigningAlgorithm?
        if let value = map.require("alg", reader), let text = reader.string(value, at: map.path("alg")) {
            algorithm = SigningAlgorithm(rawValue: text)
            if algorithm == nil {
                reader.report(map.path("alg"), value, "\(name): unsupported algorithm '\(text)' (supported: HS256, ES256, EdDSA)")
            }
        }
        guard let kid, let algorithm else { return nil }
        switch algorithm {
        case .hs256:
            if let stray = map["private_key_file"] {
                reader.report(map.path("private_key_file"), stray, "\(name): HS256 takes secret_env, not a key file")
                return nil
            }
            return readSecret(map, kid: kid, name: name, reader)
        case .es256, .edDSA:
            if let stray = map["secret_env"] {
                reader.report(map.path("secret_env"), stray,
                              "\(name): \(algorithm.rawValue) takes private_key_file, not secret_env")
                return nil
            }
            return readPrivateKey(map, kid: kid, algorithm: algorithm, name: name, reader)
        }
    }

    private static func readSecret(_ map: ConfigMapping, kid: String, name: String, _ reader: ConfigReader) -> KeyConfig? {
        guard let value = map.require("secret_env", reader),
              let secretEnv = reader.string(value, at: map.path("secret_env")),
              let secret = reader.secret(nameNode: value, name: secretEnv, at: map.path("secret_env"), line: map.line) else {
            return nil
        }
        if secret.utf8.count < minimumHS256SecretBytes {
            reader.report(map.path("secret_env"), value,
                          "\(name): the secret in \(secretEnv) is \(secret.utf8.count) bytes; HS256 needs at least "
                              + "\(minimumHS256SecretBytes) (RFC 7518 section 3.2)")
            return nil
        }
        return KeyConfig(kid: kid, algorithm: .hs256, secretEnv: secretEnv, secret: Array(secret.utf8))
    }

    /// The file is read and parsed now, so a missing, unreadable or wrong-type key stops
    /// `check-config` and startup instead of the first request.
    private static func readPrivateKey(
        _ map: ConfigMapping, kid: String, algorithm: SigningAlgorithm, name: String, _ reader: ConfigReader
    ) -> KeyConfig? {
        guard let value = map.require("private_key_file", reader),
              let file = reader.filePath(value, at: map.path("private_key_file")) else { return nil }
        let pem: String
        do {
            pem = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            let reason = FileManager.default.fileExists(atPath: file) ? "cannot read" : "no such file"
            reader.report(map.path("private_key_file"), value, "\(name): \(reason): \(file)")
            return nil
        }
        do {
            _ = try SigningKey(kid: kid, algorithm: algorithm, privateKeyPEM: pem)
        } catch {
            reader.report(map.path("private_key_file"), value, "\(name): \(file): \(error) for alg \(algorithm.rawValue)")
            return nil
        }
        return KeyConfig(kid: kid, algorithm: algorithm, privateKeyFile: file, privateKeyPEM: pem)
    }
}
