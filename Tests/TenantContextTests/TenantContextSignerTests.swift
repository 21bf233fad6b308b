import Foundation
import Testing
import TenantContext

@Suite struct TenantContextSignerTests {
    static let key = SigningKey(kid: "k1", secret: "s3cret-value-for-tests")
    static let signer = TenantContextSigner(key: key, issuer: "tenant-edge", audience: "tenant-backend", ttlSeconds: 60)
    static let storeId = "5f0c6a2e-1111-4222-8333-944455556666"

    func sign(now: Int64 = 1_700_000_000) -> String {
        Self.signer.sign(storeId: Self.storeId, slug: "acme", host: "acme.shops.example.com",
                         hostKind: "platform", status: "active", now: now)
    }

    /// Produced with `openssl dgst -sha256 -hmac s3cret-value-for-tests -binary` over the
    /// signing input, so the whole token is checked against an outside implementation.
    @Test func matchesTokenComputedWithOpenSSL() {
        #expect(sign() == "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0.eyJpc3MiOiJ0ZW5hbnQtZWRnZSIsImF1ZCI6InRlbmFudC1iYWNrZW5kIiwic3ViIjoiNWYwYzZhMmUtMTExMS00MjIyLTgzMzMtOTQ0NDU1NTU2NjY2Iiwic3RvcmVfaWQiOiI1ZjBjNmEyZS0xMTExLTQyMjItODMzMy05NDQ0NTU1NTY2NjYiLCJzbHVnIjoiYWNtZSIsImhvc3QiOiJhY21lLnNob3BzLmV4YW1wbGUuY29tIiwiaG9zdF9raW5kIjoicGxhdGZvcm0iLCJzdGF0dXMiOiJhY3RpdmUiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMDA2MH0.glSQ9YPdrLCObae9lGAhbM3KSNR67anj7NwiPTfYo3Q")
    }

    @Test func headerAndClaimsAreExact() throws {
        let parts = sign().split(separator: ".").map(String.init)
        #expect(parts.count == 3)
        #expect(!sign().contains("="))
        let header = try #require(Base64URL.decode(parts[0]))
        #expect(String(decoding: header, as: UTF8.self) == #"{"alg":"HS256","kid":"k1","typ":"JWT"}"#)
        let payload = try #require(Base64URL.decode(parts[1]))
        #expect(String(decoding: payload, as: UTF8.self) == #"{"iss":"tenant-edge","aud":"tenant-backend","sub":"5f0c6a2e-1111-4222-8333-944455556666","store_id":"5f0c6a2e-1111-4222-8333-944455556666","slug":"acme","host":"acme.shops.example.com","host_kind":"platform","status":"active","iat":1700000000,"exp":1700000060}"#)
    }

    @Test func signatureIsHMACSHA256OfSigningInput() throws {
        let token = sign(now: 1_800_000_123)
        let lastDot = try #require(token.lastIndex(of: "."))
        let signingInput = Array(token[..<lastDot].utf8)
        let expected = HandHMAC.hmacSHA256(key: Array("s3cret-value-for-tests".utf8), message: signingInput)
        #expect(Base64URL.decode(token[token.index(after: lastDot)...]) == expected)
    }

    /// RFC 4231 test case 2, so the hand-written HMAC is itself known to be right.
    @Test func handHMACMatchesRFC4231() {
        let mac = HandHMAC.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(mac.map { String(format: "%02x", $0) }.joined()
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func escapesStringsIntoValidJSON() throws {
        let claims = Self.signer.claims(storeId: "id\"with\\quote", slug: "tab\there", host: "h\u{1}",
                                        hostKind: "custom", status: "ünïcode", now: 5)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(claims.jsonBytes())) as? [String: Any])
        #expect(object["store_id"] as? String == "id\"with\\quote")
        #expect(object["slug"] as? String == "tab\there")
        #expect(object["host"] as? String == "h\u{1}")
        #expect(object["status"] as? String == "ünïcode")
        #expect(object["exp"] as? Int == 65)
        // And the same bytes decode back through Codable.
        #expect(try JSONDecoder().decode(TenantContextClaims.self, from: Data(claims.jsonBytes())) == claims)
    }

    @Test func keyDescriptionHidesTheSecret() {
        #expect(!String(describing: Self.key).contains("s3cret"))
    }
}
