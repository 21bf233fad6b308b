import Crypto
import Foundation

/// One key of the ring (config `tenant_context.keys`): an id that goes into the token's
/// `kid`, an algorithm, and the key material. Its description never shows the secret.
public struct SigningKey: Sendable, CustomStringConvertible {
    public let kid: String
    public let algorithm: SigningAlgorithm
    private let material: Material

    private enum Material: Sendable {
        case hmac(SymmetricKey)
    }

    /// HS256 with the UTF-8 bytes of `secret`: how jsonwebtoken (`jwt.sign(p, "secret")`) and
    /// jose treat a string secret, so backends configure the same string.
    public init(kid: String, secret: String) {
        self.init(kid: kid, secretBytes: Array(secret.utf8))
    }

    /// HS256 with raw key bytes.
    public init(kid: String, secretBytes: [UInt8]) {
        self.init(kid: kid, algorithm: .hs256, secret: secretBytes)
    }

    /// The form configuration uses: algorithm and secret bytes as loaded from the environment.
    /// For HS256 the bytes are the HMAC key. (Asymmetric algorithms will take their private
    /// key through an initializer of their own.)
    public init(kid: String, algorithm: SigningAlgorithm, secret: [UInt8]) {
        self.kid = kid
        self.algorithm = algorithm
        switch algorithm {
        case .hs256: material = .hmac(SymmetricKey(data: secret))
        }
    }

    public var description: String { "SigningKey(kid: \(kid), alg: \(algorithm.rawValue))" }

    /// The JWS signature over the signing input (`base64url(header).base64url(payload)`).
    func signature(for signingInput: [UInt8]) -> [UInt8] {
        switch material {
        case .hmac(let key):
            Array(HMAC<SHA256>.authenticationCode(for: signingInput, using: key))
        }
    }

    /// Constant-time check of `signature` (BoringSSL's comparison inside swift-crypto).
    func isValidSignature(_ signature: [UInt8], for signingInput: ArraySlice<UInt8>) -> Bool {
        switch material {
        case .hmac(let key):
            HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput, using: key)
        }
    }
}
