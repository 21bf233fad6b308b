import Foundation
import Testing
@testable import TenantEdgeACME

struct CertificateVaultTests {
    static let keyText = Data((0..<32).map { UInt8($0) }).base64EncodedString()

    @Test func sealedKeyOpensBackAndIsNotThePlaintext() throws {
        let vault = try CertificateVault(base64: Self.keyText, variable: "ENCRYPTION_KEY")
        let pem = Array("-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n".utf8)
        let sealed = try vault.seal(pem, context: "shop.example")
        #expect(sealed.nonce.count == 12)
        #expect(sealed.ciphertext.count == pem.count + 16)
        #expect(!String(decoding: sealed.ciphertext, as: UTF8.self).contains("PRIVATE KEY"))
        #expect(try vault.open(sealed, context: "shop.example") == pem)
        // Two seals of the same key never share a nonce or a ciphertext.
        let again = try vault.seal(pem, context: "shop.example")
        #expect(again.nonce != sealed.nonce && again.ciphertext != sealed.ciphertext)
    }

    @Test func aKeyMovedToAnotherHostnameOrTamperedWithDoesNotOpen() throws {
        let vault = try CertificateVault(base64: Self.keyText, variable: "ENCRYPTION_KEY")
        var sealed = try vault.seal(Array("secret".utf8), context: "a.example")
        #expect(throws: (any Error).self) { try vault.open(sealed, context: "b.example") }
        sealed.ciphertext[0] ^= 1
        #expect(throws: (any Error).self) { try vault.open(sealed, context: "a.example") }
    }

    @Test func aDifferentKeyCannotOpen() throws {
        let vault = try CertificateVault(base64: Self.keyText, variable: "ENCRYPTION_KEY")
        let other = try CertificateVault(base64: Data(repeating: 7, count: 32).base64EncodedString(), variable: "X")
        let sealed = try vault.seal(Array("secret".utf8), context: "a.example")
        #expect(throws: (any Error).self) { try other.open(sealed, context: "a.example") }
    }

    @Test(arguments: [
        ("", "ENCRYPTION_KEY is empty or not set"),
        ("not base64!", "ENCRYPTION_KEY is not valid base64"),
        (Data(repeating: 1, count: 16).base64EncodedString(), "decodes to 16 bytes"),
    ])
    func badKeysAreRejectedWithTheVariableNamed(text: String, message: String) {
        #expect {
            _ = try CertificateVault.fromEnvironment("ENCRYPTION_KEY", environment: ["ENCRYPTION_KEY": text])
        } throws: { error in
            "\(error)".contains(message)
        }
    }
}
