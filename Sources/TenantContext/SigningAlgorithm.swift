/// JWS `alg` values the edge can sign and verify with. The raw value is the header's `alg`.
///
/// HS256 shares one secret with every backend, so any backend that can verify can also forge;
/// ES256 (RFC 7518 section 3.4) and EdDSA with Ed25519 (RFC 8037) let backends hold only a
/// public key from the JWKS endpoint. A verifier accepts only what its allow-list names, so
/// adding a case never widens an existing deployment.
public enum SigningAlgorithm: String, Sendable, Hashable, CaseIterable {
    case hs256 = "HS256"
    case es256 = "ES256"
    case edDSA = "EdDSA"

    /// The `alg` header value.
    public var jwsName: String { rawValue }

    /// True for algorithms whose key must stay secret on both sides (never published in JWKS).
    public var isSymmetric: Bool {
        switch self {
        case .hs256: true
        case .es256, .edDSA: false
        }
    }
}
