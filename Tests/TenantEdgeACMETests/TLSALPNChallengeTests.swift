import Foundation
import Crypto
import SwiftASN1
import Testing
import X509
@testable import TenantEdgeACME

/// RFC 8737 section 3: the challenge certificate's acmeIdentifier extension and names.
struct TLSALPNChallengeTests {
    @Test func theExtensionValueIsADEROctetStringOfTheKeyAuthorizationsSHA256() throws {
        let keyAuthorization = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"
        let value = TLSALPNChallenge.acmeIdentifierValue(keyAuthorization: keyAuthorization)
        #expect(value.count == 34)
        #expect(Array(value.prefix(2)) == [0x04, 0x20])
        #expect(Array(value.dropFirst(2)) == Array(SHA256.hash(data: Array(keyAuthorization.utf8))))
        // The same bytes as DER's own encoding of that OCTET STRING.
        var serializer = DER.Serializer()
        try serializer.serialize(ASN1OctetString(contentBytes: ArraySlice(SHA256.hash(data: Array(keyAuthorization.utf8)))))
        #expect(serializer.serializedBytes == value)
    }

    @Test func theCertificateNamesOnlyTheHostAndCarriesTheCriticalExtension() throws {
        let challenge = try TLSALPNChallenge(hostname: "www.shop.example", keyAuthorization: "token.thumbprint")
        let certificate = try Certificate(pemEncoded: challenge.certificatePEM)
        let names = try #require(try certificate.extensions.subjectAlternativeNames)
        #expect(Array(names) == [.dnsName("www.shop.example")])
        let identifier = try #require(certificate.extensions[oid: [1, 3, 6, 1, 5, 5, 7, 1, 31]])
        #expect(identifier.critical)
        #expect(Array(identifier.value) == TLSALPNChallenge.acmeIdentifierValue(keyAuthorization: "token.thumbprint"))
        #expect(certificate.notValidBefore < Date() && certificate.notValidAfter > Date())
        // Self-signed with the key it is served with.
        let key = try P256.Signing.PrivateKey(pemRepresentation: challenge.privateKeyPEM)
        #expect(certificate.publicKey == Certificate.PublicKey(key.publicKey))
        #expect(certificate.issuer == certificate.subject)
    }
}
