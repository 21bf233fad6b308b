import TenantContext
import Yams

/// One tenant-context signing key: `{ kid: k1, alg: HS256, secret_env: TENANT_CONTEXT_SECRET }`.
/// Several keys let a new key be published before it is used for signing (rotation).
public struct KeyConfig: Sendable, Equatable {
    /// Key id, sent in the token header so backends pick the right key.
    public var kid: String
    public var algorithm: SigningAlgorithm
    /// Name of the environment variable the secret was read from (for messages).
    public var secretEnv: String
    /// The secret's bytes (UTF-8 of the variable's value). Never printed.
    public var secret: [UInt8]

    public init(kid: String, algorithm: SigningAlgorithm, secretEnv: String, secret: [UInt8]) {
        self.kid = kid
        self.algorithm = algorithm
        self.secretEnv = secretEnv
        self.secret = secret
    }

    /// The key in the form the signer and verifier use.
    public func makeSigningKey() -> SigningKey {
        switch algorithm {
        case .hs256: SigningKey(kid: kid, secretBytes: secret)
        }
    }

    /// RFC 7518 section 3.2: an HS256 key must be at least as long as the hash output.
    public static let minimumHS256SecretBytes = 32
}

/// Printing or dumping a config must not leak the secret.
extension KeyConfig: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "KeyConfig(kid: \(kid), algorithm: \(algorithm.rawValue), secretEnv: \(secretEnv), secret: ***)"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["kid": kid, "algorithm": algorithm, "secretEnv": secretEnv, "secret": "***"])
    }
}

extension KeyConfig {
    static func read(_ node: Node, at path: String, _ reader: ConfigReader) -> KeyConfig? {
        guard let map = reader.mapping(node, at: path, keys: ["kid", "alg", "secret_env"]) else { return nil }
        let kid = map.require("kid", reader).flatMap { reader.string($0, at: map.path("kid")) }
        var algorithm: SigningAlgorithm?
        if let value = map.require("alg", reader), let text = reader.string(value, at: map.path("alg")) {
            algorithm = SigningAlgorithm(rawValue: text)
            if algorithm == nil {
                reader.report(map.path("alg"), value, "unsupported algorithm '\(text)' (supported: HS256)")
            }
        }
        var secret: String?
        var secretEnv: String?
        if let value = map.require("secret_env", reader) {
            secretEnv = reader.string(value, at: map.path("secret_env"))
            if let secretEnv {
                secret = reader.secret(nameNode: value, name: secretEnv, at: map.path("secret_env"), line: map.line)
            }
        }
        if let secret, let secretEnv, algorithm == .hs256, secret.utf8.count < minimumHS256SecretBytes {
            reader.report(map.path("secret_env"), map["secret_env"],
                          "the secret in \(secretEnv) is \(secret.utf8.count) bytes; HS256 needs at least "
                              + "\(minimumHS256SecretBytes) (RFC 7518 section 3.2)")
            return nil
        }
        guard let kid, let algorithm, let secretEnv, let secret else { return nil }
        return KeyConfig(kid: kid, algorithm: algorithm, secretEnv: secretEnv, secret: Array(secret.utf8))
    }
}
