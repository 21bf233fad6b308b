import Crypto
import Foundation
import SwiftASN1
import X509

/// The self-signed certificate that answers a TLS-ALPN-01 challenge (RFC 8737 section 3) for
/// one hostname: its only dNSName is the name being validated, and it carries the critical
/// id-pe-acmeIdentifier extension whose value is the DER OCTET STRING of SHA-256 over the key
/// authorization. Built on the issuance thread (or the thread applying another instance's
/// NOTIFY), never during a handshake.
public struct TLSALPNChallenge: Sendable {
    /// id-pe-acmeIdentifier, 1.3.6.1.5.5.7.1.31.
    public static let acmeIdentifierOID: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 1, 31]

    public let hostname: String
    public let certificatePEM: String
    /// A fresh throwaway key per challenge (PKCS#8 PEM): it proves nothing, the extension does.
    public let privateKeyPEM: String

    /// The extension's value: `04 20` + SHA-256(keyAuthorization), as RFC 8737 section 3 has it
    /// (`Authorization ::= OCTET STRING (SIZE (32))`).
    public static func acmeIdentifierValue(keyAuthorization: String) -> [UInt8] {
        [0x04, 0x20] + Array(SHA256.hash(data: Array(keyAuthorization.utf8)))
    }

    public init(hostname: String, keyAuthorization: String, now: Date = Date()) throws(ACMEError) {
        let key = P256.Signing.PrivateKey()
        do {
            let name = try DistinguishedName { CommonName(hostname) }
            let identifier = Certificate.Extension(oid: Self.acmeIdentifierOID, critical: true,
                                                   value: ArraySlice(Self.acmeIdentifierValue(keyAuthorization: keyAuthorization)))
            let extensions = try Certificate.Extensions {
                SubjectAlternativeNames([.dnsName(hostname)])
                identifier
            }
            // A short life: the order polls for two minutes at most.
            let certificate = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
                notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(86_400),
                issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions, issuerPrivateKey: .init(key))
            certificatePEM = try certificate.serializeAsPEM().pemString
        } catch {
            throw ACMEError.local("cannot build the tls-alpn-01 certificate for \(hostname): \(error)")
        }
        self.hostname = hostname
        privateKeyPEM = key.pemRepresentation
    }
}
