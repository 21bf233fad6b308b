import Crypto
import Foundation

/// Seals and opens private keys for storage in the shared master database.
///
/// AES-256-GCM under the platform's `ENCRYPTION_KEY`: a leaked database dump or backup holds
/// no usable key, and a tampered ciphertext fails to open instead of loading a wrong key. The
/// hostname is bound as associated data, so a sealed key copied onto another row does not open.
public struct CertificateVault: Sendable {
    private let key: SymmetricKey

    public struct KeyError: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// The sealed form: a fresh 12-byte nonce per seal, and ciphertext with the 16-byte tag.
    public struct Sealed: Sendable, Equatable {
        public var ciphertext: [UInt8]
        public var nonce: [UInt8]
        public init(ciphertext: [UInt8], nonce: [UInt8]) {
            self.ciphertext = ciphertext
            self.nonce = nonce
        }
    }

    /// `base64`: the value of the variable, standard base64 of exactly 32 bytes.
    public init(base64 text: String, variable: String) throws(KeyError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw KeyError(description: "\(variable) is empty or not set: it must hold 32 random bytes in base64 (e.g. `openssl rand -base64 32`)")
        }
        guard let bytes = Data(base64Encoded: trimmed) else {
            throw KeyError(description: "\(variable) is not valid base64")
        }
        guard bytes.count == 32 else {
            throw KeyError(description: "\(variable) decodes to \(bytes.count) bytes; AES-256-GCM needs exactly 32")
        }
        key = SymmetricKey(data: bytes)
    }

    /// Reads the key from the environment variable `variable`.
    public static func fromEnvironment(_ variable: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(KeyError) -> CertificateVault {
        try CertificateVault(base64: environment[variable] ?? "", variable: variable)
    }

    public func seal(_ plaintext: [UInt8], context: String) throws -> Sealed {
        let box = try AES.GCM.seal(plaintext, using: key, authenticating: Array(context.utf8))
        return Sealed(ciphertext: Array(box.ciphertext) + Array(box.tag), nonce: Array(box.nonce))
    }

    public func open(_ sealed: Sealed, context: String) throws -> [UInt8] {
        guard sealed.ciphertext.count >= 16 else { throw KeyError(description: "sealed key is truncated") }
        let box = try AES.GCM.SealedBox(
            nonce: AES.GCM.Nonce(data: sealed.nonce),
            ciphertext: sealed.ciphertext.dropLast(16), tag: sealed.ciphertext.suffix(16))
        return Array(try AES.GCM.open(box, using: key, authenticating: Array(context.utf8)))
    }
}
