import Crypto
import Foundation
import Testing
import TenantContext

/// ES256 and EdDSA end to end: the edge signs with a private key, the backend verifies with
/// the public key it read back from the JWKS, never seeing the private one.
@Suite struct AsymmetricVerifierTests {
    static let now: Int64 = 1_700_000_000
    static let p256 = P256.Signing.PrivateKey()
    static let ed25519 = Curve25519.Signing.PrivateKey()
    static let ring = KeyRing(
        keys: [SigningKey(kid: "ec1", p256: p256), SigningKey(kid: "ed1", ed25519: ed25519),
               SigningKey(kid: "hs1", secret: "s3cret-value-for-tests-32-bytes!")],
        signWith: "ec1")!

    static func signer(_ kid: String) -> TenantContextSigner {
        TenantContextSigner(key: ring.keys.first { $0.kid == kid }!, issuer: "tenant-edge", audience: "tenant-backend", ttlSeconds: 60)
    }

    static func token(_ kid: String, now: Int64 = now) -> String {
        signer(kid).sign(storeId: "store-1", slug: "acme", host: "acme.shops.example.com", hostKind: "platform", status: "active", now: now)
    }

    static func verifier() throws -> TenantContextVerifier {
        try TenantContextVerifier(jwks: ring.jwks, expectedIssuer: "tenant-edge", expectedAudience: "tenant-backend")
    }

    func code(_ token: String, now: Int64 = Self.now, audience: String = "tenant-backend") throws -> TenantContextError.Code? {
        var verifier = try Self.verifier()
        verifier.expectedAudience = audience
        do {
            _ = try verifier.verify(token, now: now, host: "acme.shops.example.com")
            return nil
        } catch {
            return error.code
        }
    }

    @Test(arguments: ["ec1", "ed1"]) func roundTripThroughJWKS(kid: String) throws {
        let token = Self.token(kid)
        let claims = try Self.verifier().verify(token, now: Self.now + 10, host: "acme.shops.example.com")
        #expect(claims.storeId == "store-1")
        #expect(claims.slug == "acme")
        let header = String(decoding: Base64URL.decode(token.split(separator: ".")[0])!, as: UTF8.self)
        #expect(header == #"{"alg":"\#(kid == "ec1" ? "ES256" : "EdDSA")","kid":"\#(kid)","typ":"JWT"}"#)
        #expect(Base64URL.decode(token.split(separator: ".")[2])!.count == 64)
    }

    @Test(arguments: ["ec1", "ed1"]) func tamperedSignatureIsRejected(kid: String) throws {
        var parts = Self.token(kid).split(separator: ".").map(String.init)
        var signature = Base64URL.decode(parts[2])!
        signature[10] ^= 0x01
        parts[2] = Base64URL.encode(signature)
        #expect(try code(parts.joined(separator: ".")) == .badSignature)
        parts[1] = Self.token(kid, now: Self.now + 1).split(separator: ".").map(String.init)[1]
        #expect(try code(parts.joined(separator: ".")) == .badSignature)
    }

    @Test(arguments: ["ec1", "ed1"]) func claimsAreCheckedAfterTheSignature(kid: String) throws {
        #expect(try code(Self.token(kid), audience: "someone-else") == .wrongAudience)
        #expect(try code(Self.token(kid), now: Self.now + 60 + 5) == .expired)
        #expect(try code(Self.token(kid), now: Self.now + 64) == nil)
    }

    @Test func unknownKidIsRejected() throws {
        let stranger = TenantContextSigner(key: SigningKey(kid: "ec9", p256: P256.Signing.PrivateKey()),
                                           issuer: "tenant-edge", audience: "tenant-backend", ttlSeconds: 60)
        let token = stranger.sign(storeId: "s", slug: "s", host: "acme.shops.example.com", hostKind: "custom", status: "active", now: Self.now)
        #expect(try code(token) == .unknownKey)
        // Same kid as a published key, different private key.
        let impostor = TenantContextSigner(key: SigningKey(kid: "ec1", p256: P256.Signing.PrivateKey()),
                                           issuer: "tenant-edge", audience: "tenant-backend", ttlSeconds: 60)
        #expect(try code(impostor.sign(storeId: "s", slug: "s", host: "acme.shops.example.com", hostKind: "custom",
                                       status: "active", now: Self.now)) == .badSignature)
    }

    /// `alg: none` never selects "no check": the kid's key checks the (empty or stale)
    /// signature over the new header, which cannot match.
    @Test func algNoneIsRejected() throws {
        let parts = Self.token("ec1").split(separator: ".").map(String.init)
        let none = Base64URL.encode(Array(#"{"alg":"none","kid":"ec1","typ":"JWT"}"#.utf8))
        #expect(try code(none + "." + parts[1] + ".") == .badSignature)
        #expect(try code(none + "." + parts[1] + "." + parts[2]) == .badSignature)
        let noKid = Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8))
        #expect(try code(noKid + "." + parts[1] + ".") == .unknownKey)
    }

    /// The classic confusion attack: HS256 "signed" with the public key's bytes as the secret,
    /// header pointing at the ES256 kid. The key's own algorithm decides, so it fails.
    @Test func hs256TokenForES256KeyIsRejected() throws {
        let jwks = Self.ring.jwks
        for secret in [Array(jwks.utf8), Array(P256.Signing.PrivateKey().publicKey.rawRepresentation)] {
            let forger = TenantContextSigner(key: SigningKey(kid: "ec1", secretBytes: secret), issuer: "tenant-edge",
                                             audience: "tenant-backend", ttlSeconds: 60)
            let token = forger.sign(storeId: "s", slug: "s", host: "acme.shops.example.com", hostKind: "custom",
                                    status: "active", now: Self.now)
            #expect(try code(token) == .badSignature)
        }
        // And the HS256 key itself is not in the published set at all.
        #expect(try code(Self.token("hs1")) == .unknownKey)
    }

    @Test func jwksPublishesPublicKeysOnly() throws {
        let object = try JSONSerialization.jsonObject(with: Data(Self.ring.jwks.utf8)) as! [String: Any]
        let keys = object["keys"] as! [[String: String]]
        #expect(keys.count == 2)
        let ec = keys[0]
        #expect(ec["kty"] == "EC" && ec["crv"] == "P-256" && ec["kid"] == "ec1" && ec["alg"] == "ES256" && ec["use"] == "sig")
        #expect(Base64URL.decode(ec["x"]!)! + Base64URL.decode(ec["y"]!)! == Array(Self.p256.publicKey.rawRepresentation))
        #expect(ec["d"] == nil)
        let ed = keys[1]
        #expect(ed["kty"] == "OKP" && ed["crv"] == "Ed25519" && ed["kid"] == "ed1" && ed["alg"] == "EdDSA" && ed["use"] == "sig")
        #expect(Base64URL.decode(ed["x"]!)! == Array(Self.ed25519.publicKey.rawRepresentation))
        #expect(ed["d"] == nil && ed["y"] == nil)
        #expect(!Self.ring.jwks.contains("hs1"))
        #expect(Self.ring.signingKey.kid == "ec1")
    }

    @Test func jwksParsingSkipsKeysItCannotUse() throws {
        let x = Base64URL.encode(Array(Self.ed25519.publicKey.rawRepresentation))
        let jwks = #"{"keys":[{"kty":"oct","kid":"o","k":"c2VjcmV0"},{"kty":"RSA","kid":"r","n":"AQAB","e":"AQAB"},"#
            + #"{"kty":"OKP","crv":"Ed25519","x":"\#(x)","use":"enc","kid":"e"},"#
            + #"{"kty":"OKP","crv":"Ed25519","x":"\#(x)","alg":"ES256","kid":"wrong-alg"},"#
            + #"{"kty":"OKP","crv":"Ed25519","x":"\#(x)","kid":"ok"}]}"#
        #expect(try JWKS.parse(jwks).map(\.kid) == ["ok"])
        #expect(throws: TenantContextError.self) { try JWKS.parse("[]") }
    }

    @Test func keyRingNeedsASigningKey() {
        #expect(KeyRing(keys: Self.ring.keys, signWith: "nope") == nil)
        #expect(KeyRing(keys: [Self.ring.keys[0].publicKey!], signWith: "ec1") == nil)
    }
}
