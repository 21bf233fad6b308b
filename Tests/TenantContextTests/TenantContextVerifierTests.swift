import Testing
import TenantContext

@Suite struct TenantContextVerifierTests {
    static let key = SigningKey(kid: "k1", secret: "s3cret-value-for-tests")
    static let signer = TenantContextSigner(key: key, issuer: "tenant-edge", audience: "tenant-backend", ttlSeconds: 60)
    static let now: Int64 = 1_700_000_000
    let verifier = TenantContextVerifier(
        keys: [SigningKey(kid: "k0", secret: "old-secret"), key], expectedIssuer: "tenant-edge", expectedAudience: "tenant-backend")

    func token(now: Int64 = Self.now, signer: TenantContextSigner = Self.signer) -> String {
        signer.sign(storeId: "store-1", slug: "acme", host: "acme.shops.example.com", hostKind: "platform", status: "active", now: now)
    }

    func code(_ token: String, now: Int64 = Self.now, host: String? = nil) -> TenantContextError.Code? {
        do {
            _ = try verifier.verify(token, now: now, host: host)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func roundTrip() throws {
        let claims = try verifier.verify(token(), now: Self.now + 30, host: "ACME.shops.example.com")
        #expect(claims == Self.signer.claims(storeId: "store-1", slug: "acme", host: "acme.shops.example.com",
                                             hostKind: "platform", status: "active", now: Self.now))
        let oneShot = try TenantContextVerifier.verify(token(), keys: [Self.key], now: Self.now,
                                                       expectedAudience: "tenant-backend", expectedIssuer: "tenant-edge")
        #expect(oneShot.storeId == "store-1")
    }

    @Test func rotatedKeyRingVerifiesOlderKid() throws {
        let old = TenantContextSigner(key: SigningKey(kid: "k0", secret: "old-secret"), issuer: "tenant-edge",
                                      audience: "tenant-backend", ttlSeconds: 60)
        #expect(code(token(signer: old)) == nil)
    }

    @Test func tamperedSignatureOrPayloadIsRejected() {
        let good = token()
        var parts = good.split(separator: ".").map(String.init)
        let flipped = parts[2].first == "A" ? "B" : "A"
        #expect(code(parts[0] + "." + parts[1] + "." + flipped + parts[2].dropFirst()) == .badSignature)
        #expect(code(parts[0] + "." + parts[1] + ".") == .badSignature)

        let otherClaims = token(now: Self.now + 1).split(separator: ".").map(String.init)
        parts[1] = otherClaims[1]
        #expect(code(parts.joined(separator: ".")) == .badSignature)
    }

    @Test func wrongKeyOrKidIsRejected() {
        let wrongSecret = TenantContextSigner(key: SigningKey(kid: "k1", secret: "guess"), issuer: "tenant-edge",
                                              audience: "tenant-backend", ttlSeconds: 60)
        #expect(code(token(signer: wrongSecret)) == .badSignature)
        let unknownKid = TenantContextSigner(key: SigningKey(kid: "k9", secret: "s3cret-value-for-tests"),
                                             issuer: "tenant-edge", audience: "tenant-backend", ttlSeconds: 60)
        #expect(code(token(signer: unknownKid)) == .unknownKey)
    }

    @Test func wrongAudienceOrIssuerIsRejected() {
        let otherAudience = TenantContextSigner(key: Self.key, issuer: "tenant-edge", audience: "someone-else", ttlSeconds: 60)
        #expect(code(token(signer: otherAudience)) == .wrongAudience)
        let otherIssuer = TenantContextSigner(key: Self.key, issuer: "mallory", audience: "tenant-backend", ttlSeconds: 60)
        #expect(code(token(signer: otherIssuer)) == .wrongIssuer)
    }

    @Test func expiryAndIssuedAtHonourLeeway() {
        let good = token()
        #expect(code(good, now: Self.now + 60 + 4) == nil)          // within 5 s leeway
        #expect(code(good, now: Self.now + 60 + 5) == .expired)
        #expect(code(good, now: Self.now + 3600) == .expired)
        #expect(code(good, now: Self.now - 5) == nil)
        #expect(code(good, now: Self.now - 6) == .notYetValid)
    }

    @Test func hostMustMatchWhenGiven() {
        #expect(code(token(), host: "evil.example.com") == .hostMismatch)
        #expect(code(token(), host: "acme.shops.example.com") == nil)
    }

    @Test func algNoneAndOtherAlgorithmsAreRejected() {
        let parts = token().split(separator: ".").map(String.init)
        let noneWithKid = Base64URL.encode(Array(#"{"alg":"none","kid":"k1","typ":"JWT"}"#.utf8))
        #expect(code(noneWithKid + "." + parts[1] + ".") == .badSignature)
        let noneWithoutKid = Base64URL.encode(Array(#"{"alg":"none"}"#.utf8))
        #expect(code(noneWithoutKid + "." + parts[1] + ".") == .unknownKey)

        // A correctly keyed MAC under a header that claims another algorithm: the key decides
        // how the signature is checked, and then the header must agree with it.
        let hs512Header = Base64URL.encode(Array(#"{"alg":"HS512","kid":"k1","typ":"JWT"}"#.utf8))
        let input = Array((hs512Header + "." + parts[1]).utf8)
        let mac = HandHMAC.hmacSHA256(key: Array("s3cret-value-for-tests".utf8), message: input)
        #expect(code(hs512Header + "." + parts[1] + "." + Base64URL.encode(mac)) == .algorithmNotAllowed)

        let noHS256 = TenantContextVerifier(keys: [Self.key], expectedIssuer: "tenant-edge",
                                            expectedAudience: "tenant-backend", allowedAlgorithms: [])
        #expect(throws: TenantContextError.self) { try noHS256.verify(token(), now: Self.now) }
    }

    @Test(arguments: ["", "abc", "a.b", "a.b.c.d", "!!.e30.", "e30.e30.e30"])
    func malformedTokensAreRejected(token: String) {
        #expect(code(token) != nil)
    }

    @Test func paddedSegmentsAreRejected() {
        let parts = token().split(separator: ".").map(String.init)
        #expect(code(parts[0] + "=." + parts[1] + "." + parts[2]) == .malformed)
        #expect(code(parts[0] + "." + parts[1] + "." + parts[2] + "=") == .badSignature)
    }
}
