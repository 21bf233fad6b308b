import Crypto
import Foundation
import SwiftASN1
import X509
@testable import TenantEdgeACME

/// Test certificates made the way a CA makes them, for tests that need a chain without one.
enum SelfSigned {
    static func pem(for request: CertificateRequest, lifetime: TimeInterval = 90 * 86_400) throws -> String {
        let name = try DistinguishedName { CommonName(request.hostname) }
        let now = Date()
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(request.privateKey.publicKey),
            notValidBefore: now.addingTimeInterval(-60), notValidAfter: now.addingTimeInterval(lifetime),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions { SubjectAlternativeNames([.dnsName(request.hostname)]) },
            issuerPrivateKey: .init(request.privateKey))
        return try certificate.serializeAsPEM().pemString
    }
}
