import Crypto
import Foundation

/// One key of the ring (config `tenant_context.keys`): an id that goes into the token's
/// `kid`, an algorithm, and the key material. Its description never shows the secret.
///
/// An asymmetric key is either private (the edge: signs, and publishes its public half) or
/// public only (a backend, from the JWKS: verifies). The algorithm is fixed by the material,
/// never by a token's header, which is what defeats algorithm confusion (an HS256 token
/// "signed" with an ES256 public key as the HMAC secret).
public struct SigningKey: Sendable, CustomStringConvertible {
    public let kid: String
    public let algorithm: SigningAlgorithm
    private let material: Material

    private enum Material: Sendable {
        case hmac(SymmetricKey)
        case p256Private(P256.Signing.PrivateKey)
        case p256Public(P256.Signing.PublicKey)
        case ed25519Private(Curve25519.Signing.PrivateKey)
        case ed25519Public(Curve25519.Signing.PublicKey)
    }

    private init(kid: String, algorithm: SigningAlgorithm, material: Material) {
        self.kid = kid
        self.algorithm = algorithm
        self.material = material
    }

    /// HS256 with the UTF-8 bytes of `secret`: how jsonwebtoken (`jwt.sign(p, "secret")`) and
    /// jose treat a string secret, so backends configure the same string.
    public init(kid: String, secret: String) {
        self.init(kid: kid, secretBytes: Array(secret.utf8))
    }

    /// HS256 with raw key bytes.
    public init(kid: String, secretBytes: [UInt8]) {
        self.init(kid: kid, algorithm: .hs256, material: .hmac(SymmetricKey(data: secretBytes)))
    }

    /// An ES256 signing key.
    public init(kid: String, p256 key: P256.Signing.PrivateKey) {
        self.init(kid: kid, algorithm: .es256, material: .p256Private(key))
    }

    /// An ES256 verification key, as a backend gets it from the JWKS.
    public init(kid: String, p256 key: P256.Signing.PublicKey) {
        self.init(kid: kid, algorithm: .es256, material: .p256Public(key))
    }

    /// An EdDSA (Ed25519) signing key.
    public init(kid: String, ed25519 key: Curve25519.Signing.PrivateKey) {
        self.init(kid: kid, algorithm: .edDSA, material: .ed25519Private(key))
    }

    /// An EdDSA (Ed25519) verification key.
    public init(kid: String, ed25519 key: Curve25519.Signing.PublicKey) {
        self.init(kid: kid, algorithm: .edDSA, material: .ed25519Public(key))
    }

    /// A private key from a PEM file (config `private_key_file`); the PEM's type must match
    /// `algorithm`, so a P-256 file configured as EdDSA is an error rather than a surprise.
    public init(kid: String, algorithm: SigningAlgorithm, privateKeyPEM pem: String) throws(PrivateKeyPEM.Error) {
        switch algorithm {
        case .hs256: throw PrivateKeyPEM.Error("HS256 keys are secrets from the environment, not PEM files")
        case .es256: self.init(kid: kid, p256: try PrivateKeyPEM.p256(pem))
        case .edDSA: self.init(kid: kid, ed25519: try PrivateKeyPEM.ed25519(pem))
        }
    }

    public var description: String { "SigningKey(kid: \(kid), alg: \(algorithm.rawValue))" }

    /// True when this key can sign (HMAC secret or private key), false for JWKS public keys.
    public var canSign: Bool {
        switch material {
        case .hmac, .p256Private, .ed25519Private: true
        case .p256Public, .ed25519Public: false
        }
    }

    /// The public half, for JWKS; nil for HS256, whose secret must never be published.
    public var publicKey: SigningKey? {
        switch material {
        case .hmac: nil
        case .p256Private(let key): SigningKey(kid: kid, p256: key.publicKey)
        case .ed25519Private(let key): SigningKey(kid: kid, ed25519: key.publicKey)
        case .p256Public, .ed25519Public: self
        }
    }

    /// The RFC 7517 JWK members of the public key (without `kid`, `alg`, `use`), in the
    /// order RFC 7638 uses for thumbprints; nil for HS256.
    var publicJWKMembers: [(String, String)]? {
        switch material {
        case .hmac: return nil
        case .p256Private(let key): return Self.ecMembers(key.publicKey)
        case .p256Public(let key): return Self.ecMembers(key)
        case .ed25519Private(let key): return Self.okpMembers(key.publicKey)
        case .ed25519Public(let key): return Self.okpMembers(key)
        }
    }

    private static func ecMembers(_ key: P256.Signing.PublicKey) -> [(String, String)] {
        // rawRepresentation is x || y, 32 bytes each (RFC 7518 section 6.2.1.2).
        let raw = Array(key.rawRepresentation)
        return [("crv", "P-256"), ("kty", "EC"), ("x", Base64URL.encode(raw[0 ..< 32])), ("y", Base64URL.encode(raw[32 ..< 64]))]
    }

    private static func okpMembers(_ key: Curve25519.Signing.PublicKey) -> [(String, String)] {
        [("crv", "Ed25519"), ("kty", "OKP"), ("x", Base64URL.encode(Array(key.rawRepresentation)))]
    }

    /// The JWS signature over the signing input (`base64url(header).base64url(payload)`).
    /// ES256 is the raw 64-byte `r || s` of RFC 7518 section 3.4, not DER, which is what
    /// jsonwebtoken and jose expect. Only called with signing keys (the signer checks).
    func signature(for signingInput: [UInt8]) -> [UInt8] {
        switch material {
        case .hmac(let key):
            return Array(HMAC<SHA256>.authenticationCode(for: signingInput, using: key))
        case .p256Private(let key):
            // Only fails if BoringSSL cannot get randomness, after which nothing is safe.
            guard let signature = try? key.signature(for: signingInput) else { preconditionFailure("ECDSA signing failed") }
            return Array(signature.rawRepresentation)
        case .ed25519Private(let key):
            guard let signature = try? key.signature(for: signingInput) else { preconditionFailure("Ed25519 signing failed") }
            return Array(signature)
        case .p256Public, .ed25519Public:
            preconditionFailure("key \(kid) is a public key and cannot sign")
        }
    }

    /// Checks `signature` with this key's own algorithm; HMAC is compared in constant time
    /// (BoringSSL's comparison inside swift-crypto).
    func isValidSignature(_ signature: [UInt8], for signingInput: ArraySlice<UInt8>) -> Bool {
        switch material {
        case .hmac(let key):
            return HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput, using: key)
        case .p256Private(let key):
            return Self.isValidECDSA(signature, signingInput, key.publicKey)
        case .p256Public(let key):
            return Self.isValidECDSA(signature, signingInput, key)
        case .ed25519Private(let key):
            return signature.count == 64 && key.publicKey.isValidSignature(signature, for: signingInput)
        case .ed25519Public(let key):
            return signature.count == 64 && key.isValidSignature(signature, for: signingInput)
        }
    }

    private static func isValidECDSA(_ signature: [UInt8], _ input: ArraySlice<UInt8>, _ key: P256.Signing.PublicKey) -> Bool {
        guard signature.count == 64, let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else {
            return false
        }
        return key.isValidSignature(parsed, for: input)
    }
}
