import Crypto
import Foundation

/// Reading and writing the PEM private key files of `private_key_file`.
///
/// P-256 goes through swift-crypto, which takes both `EC PRIVATE KEY` (SEC1, what
/// `openssl ecparam -genkey` writes) and `PRIVATE KEY` (PKCS#8, `openssl genpkey`).
/// swift-crypto has no PEM support for Curve25519, so Ed25519 PKCS#8 (RFC 8410 section 7)
/// is parsed here: its DER is always the same 16-byte prefix followed by the 32-byte seed,
/// which is what OpenSSL writes; anything else (an attribute or public key appended) is
/// refused rather than half-understood.
public enum PrivateKeyPEM {
    /// Why a key file could not be used. The message never contains key material.
    public struct Error: Swift.Error, CustomStringConvertible, Sendable {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING (32) } }.
    static let ed25519PKCS8Prefix: [UInt8] = [
        0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ]

    public static func p256(_ pem: String) throws(Error) -> P256.Signing.PrivateKey {
        do {
            return try P256.Signing.PrivateKey(pemRepresentation: pem)
        } catch {
            throw Error("not a P-256 private key in PEM (EC PRIVATE KEY or PKCS#8 PRIVATE KEY)")
        }
    }

    public static func ed25519(_ pem: String) throws(Error) -> Curve25519.Signing.PrivateKey {
        let expected = "not an Ed25519 PKCS#8 private key (expected 'openssl genpkey -algorithm ed25519' output)"
        guard let der = try? derBytes(pem, label: "PRIVATE KEY") else { throw Error(expected) }
        guard der.count == ed25519PKCS8Prefix.count + 32, der.starts(with: ed25519PKCS8Prefix) else {
            throw Error(expected)
        }
        do {
            return try Curve25519.Signing.PrivateKey(rawRepresentation: der.suffix(32))
        } catch {
            throw Error("invalid Ed25519 seed")
        }
    }

    /// PKCS#8 PEM for an Ed25519 key, byte for byte what OpenSSL writes.
    public static func pem(_ key: Curve25519.Signing.PrivateKey) -> String {
        let der = ed25519PKCS8Prefix + Array(key.rawRepresentation)
        let body = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN PRIVATE KEY-----\n\(body)\n-----END PRIVATE KEY-----\n"
    }

    /// The DER inside a single `-----BEGIN label-----` block.
    static func derBytes(_ pem: String, label: String) throws(Error) -> [UInt8] {
        let begin = "-----BEGIN \(label)-----"
        let end = "-----END \(label)-----"
        guard let start = pem.range(of: begin), let stop = pem.range(of: end, range: start.upperBound ..< pem.endIndex) else {
            throw Error("no '\(begin)' block")
        }
        let base64 = pem[start.upperBound ..< stop.lowerBound].filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: String(base64)) else { throw Error("the '\(label)' block is not base64") }
        return Array(data)
    }
}

extension PrivateKeyPEM {
    /// A new private key in the PEM form `private_key_file` reads (PKCS#8 for both), for
    /// `tenant-edge keys generate`; nil for HS256, which has no key file.
    public static func generate(_ algorithm: SigningAlgorithm) -> String? {
        switch algorithm {
        case .hs256: nil
        case .es256: P256.Signing.PrivateKey().pemRepresentation
        case .edDSA: pem(Curve25519.Signing.PrivateKey())
        }
    }
}
