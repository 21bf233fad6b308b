import Crypto
import Foundation

/// A JSON Web Key Set (RFC 7517 section 5): how the edge publishes its public keys at the
/// admin listener's `/.well-known/jwks.json` and how backends read them back.
///
/// Every asymmetric key of the ring is published, not just the one that signs, so that during
/// a rotation tokens signed by the old key keep verifying until it is removed from the config.
/// HS256 keys are never published: their key is the shared secret.
public enum JWKS {
    /// `{"keys":[...]}` with, per key, `crv kty x [y]` then `kid alg use`. Written by hand so the
    /// bytes are stable (caches and ETags in front of the admin listener see no churn).
    public static func render(_ keys: [SigningKey]) -> String {
        var out: [UInt8] = Array(#"{"keys":["#.utf8)
        var first = true
        for key in keys {
            guard let members = key.publicJWKMembers else { continue }
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(UInt8(ascii: "{"))
            for (name, value) in members + [("kid", key.kid), ("alg", key.algorithm.jwsName), ("use", "sig")] {
                if out.last != UInt8(ascii: "{") { out.append(UInt8(ascii: ",")) }
                JSONText.appendString(name, to: &out)
                out.append(UInt8(ascii: ":"))
                JSONText.appendString(value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: "]}".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// The verification keys in a JWKS document.
    ///
    /// Keys this verifier cannot use (RSA, `use: enc`, no `kid`, an `alg` that contradicts the
    /// curve) are skipped rather than failing the whole set, as RFC 7517 section 5 asks, so an
    /// identity provider adding a key type does not take backends down. `kty: oct` keys are
    /// skipped too: a symmetric key from a public document would let anyone forge.
    public static func parse(_ json: some Collection<UInt8>) throws(TenantContextError) -> [SigningKey] {
        guard let set = try? JSONDecoder().decode(KeySet.self, from: Data(json)) else {
            throw TenantContextError(.malformed, "JWKS is not {\"keys\":[...]}")
        }
        var keys: [SigningKey] = []
        for jwk in set.keys {
            guard let kid = jwk.kid, jwk.use == nil || jwk.use == "sig" else { continue }
            switch (jwk.kty, jwk.crv, jwk.alg) {
            case ("EC", "P-256", nil), ("EC", "P-256", "ES256"):
                guard let x = jwk.x.flatMap(Base64URL.decode), let y = jwk.y.flatMap(Base64URL.decode),
                      x.count == 32, y.count == 32,
                      let key = try? P256.Signing.PublicKey(rawRepresentation: x + y) else { continue }
                keys.append(SigningKey(kid: kid, p256: key))
            case ("OKP", "Ed25519", nil), ("OKP", "Ed25519", "EdDSA"):
                guard let x = jwk.x.flatMap(Base64URL.decode), x.count == 32,
                      let key = try? Curve25519.Signing.PublicKey(rawRepresentation: x) else { continue }
                keys.append(SigningKey(kid: kid, ed25519: key))
            default:
                continue
            }
        }
        return keys
    }

    public static func parse(_ json: String) throws(TenantContextError) -> [SigningKey] {
        try parse(Array(json.utf8))
    }

    private struct KeySet: Decodable {
        var keys: [JWK]
    }

    private struct JWK: Decodable {
        var kty: String
        var kid: String?
        var alg: String?
        var use: String?
        var crv: String?
        var x: String?
        var y: String?
    }
}
