/// Signs `X-Tenant-Context` tokens: compact JWS (RFC 7515 section 7.1) with unpadded
/// base64url segments, readable by stock JWT libraries.
///
/// The header never changes for a key, so its encoded segment is built once here; a token
/// then costs one small JSON write, two base64url passes and one signature (HMAC, ECDSA P-256
/// or Ed25519; measured in `SigningCostTests`). The server caches tokens per (store, host,
/// key) anyway and re-signs before they age, so ECDSA's cost stays off the request path.
public struct TenantContextSigner: Sendable {
    public let key: SigningKey
    public let issuer: String
    public let audience: String
    public let ttlSeconds: Int

    /// `base64url(header) + "."`.
    private let headerPrefix: [UInt8]

    /// `key` must be able to sign (an HS256 secret or a private key, not a JWKS public key).
    public init(key: SigningKey, issuer: String, audience: String, ttlSeconds: Int) {
        precondition(key.canSign, "\(key) is a public key and cannot sign")
        self.key = key
        self.issuer = issuer
        self.audience = audience
        self.ttlSeconds = ttlSeconds
        var prefix: [UInt8] = []
        Base64URL.encode(Self.headerJSON(for: key), into: &prefix)
        prefix.append(UInt8(ascii: "."))
        headerPrefix = prefix
    }

    /// `{"alg":"HS256","kid":"k1","typ":"JWT"}`: keys in that order, no whitespace.
    public static func headerJSON(for key: SigningKey) -> [UInt8] {
        var out: [UInt8] = []
        JSONText.appendObjectStart(&out)
        JSONText.appendMember("alg", key.algorithm.jwsName, first: true, to: &out)
        JSONText.appendMember("kid", key.kid, to: &out)
        JSONText.appendMember("typ", "JWT", to: &out)
        JSONText.appendObjectEnd(&out)
        return out
    }

    /// The claims a token signed `now` (seconds since the Unix epoch) carries.
    public func claims(storeId: String, slug: String, host: String, hostKind: String, status: String, now: Int64) -> TenantContextClaims {
        TenantContextClaims(
            iss: issuer, aud: audience, sub: storeId, storeId: storeId, slug: slug, host: host,
            hostKind: hostKind, status: status, iat: now, exp: now + Int64(ttlSeconds))
    }

    /// `hostKind` is `custom` or `platform`; `now` is seconds since the Unix epoch.
    public func sign(storeId: String, slug: String, host: String, hostKind: String, status: String, now: Int64) -> String {
        sign(claims(storeId: storeId, slug: slug, host: host, hostKind: hostKind, status: status, now: now))
    }

    public func sign(_ claims: TenantContextClaims) -> String {
        String(decoding: signBytes(claims), as: UTF8.self)
    }

    /// The token as bytes, ready to splice into a request head.
    public func signBytes(_ claims: TenantContextClaims) -> [UInt8] {
        var token = headerPrefix
        Base64URL.encode(claims.jsonBytes(), into: &token)
        let signature = key.signature(for: token)
        token.append(UInt8(ascii: "."))
        Base64URL.encode(signature, into: &token)
        return token
    }
}
