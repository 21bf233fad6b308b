import Foundation

/// Checks an `X-Tenant-Context` token: for backends written in Swift, and for the edge's own
/// tests and admin tools.
///
/// Order matters: the header is read only to pick the key by `kid`; the signature is checked
/// with that key's own algorithm before anything else is trusted; then the header's `alg` must
/// be that algorithm and in the allow-list (so `alg: none` or an algorithm swap can never
/// select how a token is checked); only then are the claims parsed and checked.
public struct TenantContextVerifier: Sendable {
    public var keys: [SigningKey]
    public var expectedIssuer: String
    public var expectedAudience: String
    public var allowedAlgorithms: Set<SigningAlgorithm>
    /// Clock skew tolerated between the edge and the backend.
    public var leewaySeconds: Int64

    /// Longer tokens are refused before any decoding work.
    public static let maxTokenLength = 8192

    public init(
        keys: [SigningKey], expectedIssuer: String, expectedAudience: String,
        allowedAlgorithms: Set<SigningAlgorithm> = [.hs256], leewaySeconds: Int64 = 5
    ) {
        self.keys = keys
        self.expectedIssuer = expectedIssuer
        self.expectedAudience = expectedAudience
        self.allowedAlgorithms = allowedAlgorithms
        self.leewaySeconds = leewaySeconds
    }

    /// A backend's verifier over the edge's published keys: only the asymmetric algorithms are
    /// allowed, so a token signed with HS256 (by anyone who guessed or stole a secret) is never
    /// accepted, whatever its header says.
    public init(
        jwks: String, expectedIssuer: String, expectedAudience: String,
        allowedAlgorithms: Set<SigningAlgorithm> = [.es256, .edDSA], leewaySeconds: Int64 = 5
    ) throws(TenantContextError) {
        self.init(
            keys: try JWKS.parse(jwks), expectedIssuer: expectedIssuer, expectedAudience: expectedAudience,
            allowedAlgorithms: allowedAlgorithms, leewaySeconds: leewaySeconds)
    }

    /// One-shot form with the default allow-list (HS256) and leeway.
    public static func verify(
        _ token: String, keys: [SigningKey], now: Int64, expectedAudience: String, expectedIssuer: String,
        host: String? = nil
    ) throws(TenantContextError) -> TenantContextClaims {
        try TenantContextVerifier(keys: keys, expectedIssuer: expectedIssuer, expectedAudience: expectedAudience)
            .verify(token, now: now, host: host)
    }

    /// `now` is seconds since the Unix epoch. `host`, if given, must equal the token's `host`
    /// claim (ASCII case-insensitively), binding the token to the request it came with.
    public func verify(_ token: String, now: Int64, host: String? = nil) throws(TenantContextError) -> TenantContextClaims {
        let bytes = Array(token.utf8)
        guard bytes.count <= Self.maxTokenLength else { throw TenantContextError(.malformed, "token too long") }
        let dots = bytes.indices.filter { bytes[$0] == UInt8(ascii: ".") }
        guard dots.count == 2 else { throw TenantContextError(.malformed, "not three segments") }
        let signingInput = bytes[..<dots[1]]

        guard let headerJSON = Base64URL.decode(bytes: bytes[..<dots[0]]),
              let header = try? JSONDecoder().decode(Header.self, from: Data(headerJSON)) else {
            throw TenantContextError(.malformed, "header is not base64url JSON")
        }
        guard let kid = header.kid, let key = keys.first(where: { $0.kid == kid }) else {
            throw TenantContextError(.unknownKey, "unknown kid \(header.kid ?? "(none)")")
        }
        guard let signature = Base64URL.decode(bytes: bytes[(dots[1] + 1)...]),
              key.isValidSignature(signature, for: signingInput) else {
            throw TenantContextError(.badSignature, "signature does not match key \(kid)")
        }
        guard header.alg == key.algorithm.jwsName, allowedAlgorithms.contains(key.algorithm) else {
            throw TenantContextError(.algorithmNotAllowed, "alg \(header.alg) not allowed for key \(kid)")
        }
        // RFC 7515 section 4.1.11: unknown critical extensions must be refused.
        if header.crit != nil { throw TenantContextError(.malformed, "unsupported crit header") }
        if let typ = header.typ, typ.uppercased() != "JWT" { throw TenantContextError(.malformed, "typ \(typ)") }

        guard let payload = Base64URL.decode(bytes: bytes[(dots[0] + 1) ..< dots[1]]),
              let claims = try? JSONDecoder().decode(TenantContextClaims.self, from: Data(payload)) else {
            throw TenantContextError(.invalidClaims, "payload is not a complete claims object")
        }
        guard claims.iss == expectedIssuer else { throw TenantContextError(.wrongIssuer, "iss \(claims.iss)") }
        guard claims.aud == expectedAudience else { throw TenantContextError(.wrongAudience, "aud \(claims.aud)") }
        guard now < claims.exp + leewaySeconds else { throw TenantContextError(.expired, "exp \(claims.exp), now \(now)") }
        guard claims.iat <= now + leewaySeconds else { throw TenantContextError(.notYetValid, "iat \(claims.iat), now \(now)") }
        if let host, host.lowercased() != claims.host.lowercased() {
            throw TenantContextError(.hostMismatch, "token for \(claims.host), request for \(host)")
        }
        return claims
    }

    private struct Header: Decodable {
        var alg: String
        var kid: String?
        var typ: String?
        var crit: [String]?
    }
}
