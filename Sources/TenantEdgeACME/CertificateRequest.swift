import Crypto
import SwiftASN1
import X509

/// The key and CSR (RFC 2986) for one hostname's certificate.
///
/// P-256: the smallest key the CAs take and the cheapest handshake for the proxy. The name goes
/// in the subjectAltName (what clients check) and the CN (some CAs still copy it).
public struct CertificateRequest: Sendable {
    public let hostname: String
    public let privateKey: P256.Signing.PrivateKey

    public init(hostname: String, privateKey: P256.Signing.PrivateKey = P256.Signing.PrivateKey()) {
        self.hostname = hostname
        self.privateKey = privateKey
    }

    /// PKCS#8 PEM, the form OpenSSL loads and the vault seals.
    public var privateKeyPEM: String { privateKey.pemRepresentation }

    public func csrDER() throws -> [UInt8] {
        let extensions = try Certificate.Extensions {
            SubjectAlternativeNames([.dnsName(hostname)])
        }
        let attributes = try CertificateSigningRequest.Attributes([.init(ExtensionRequest(extensions: extensions))])
        let csr = try CertificateSigningRequest(
            version: .v1,
            subject: try DistinguishedName { CommonName(hostname) },
            privateKey: Certificate.PrivateKey(privateKey),
            attributes: attributes,
            signatureAlgorithm: .ecdsaWithSHA256)
        var serializer = DER.Serializer()
        try serializer.serialize(csr)
        return serializer.serializedBytes
    }
}

/// The validity of an issued chain's leaf, read from its PEM.
public struct IssuedChain: Sendable, Equatable {
    public var pem: String
    public var notBefore: Double
    public var notAfter: Double
    /// The leaf's DNS names: a chain must name the host it is stored for.
    public var dnsNames: [String]

    public init(pem: String) throws(ACMEError) {
        do {
            guard let firstEnd = pem.range(of: "-----END CERTIFICATE-----") else {
                throw ACMEError.invalid("the CA's answer holds no certificate")
            }
            let leaf = try Certificate(pemEncoded: String(pem[..<firstEnd.upperBound]))
            self.pem = pem
            notBefore = leaf.notValidBefore.timeIntervalSince1970
            notAfter = leaf.notValidAfter.timeIntervalSince1970
            let names = try leaf.extensions.subjectAlternativeNames ?? SubjectAlternativeNames([])
            dnsNames = names.compactMap { if case .dnsName(let name) = $0 { name.lowercased() } else { nil } }
        } catch let error as ACMEError {
            throw error
        } catch {
            throw ACMEError.invalid("unreadable certificate chain: \(error)")
        }
    }
}
