/// JWS `alg` values the edge can sign and verify with. The raw value is the header's `alg`.
///
/// HS256 shares one secret with every backend; ES256 and EdDSA (planned) let backends hold
/// only a public key from the JWKS endpoint. Each new case adds its key material to
/// `SigningKey` and its signature to `SigningKey.signature(for:)`/`isValidSignature`; a
/// verifier accepts only what its allow-list names, so adding a case never widens an existing
/// deployment.
public enum SigningAlgorithm: String, Sendable, Hashable, CaseIterable {
    case hs256 = "HS256"

    /// The `alg` header value.
    public var jwsName: String { rawValue }

    /// True for algorithms whose key must stay secret on both sides (never published in JWKS).
    public var isSymmetric: Bool {
        switch self {
        case .hs256: true
        }
    }
}
