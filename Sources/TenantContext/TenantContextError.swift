/// Why a token was rejected. A struct over codes (like postgres-nio's `PSQLError`) so that
/// new codes can be added without breaking callers that switch on a closed enum; backends
/// log `code` and answer 401/403, never echoing `detail` to clients.
public struct TenantContextError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case malformed, unknownKey, badSignature, algorithmNotAllowed, invalidClaims
            case wrongIssuer, wrongAudience, expired, notYetValid, hostMismatch
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Not three base64url segments, or a header that is not the expected JSON.
        public static let malformed = Code(.malformed)
        /// No `kid`, or one that is not in the verifier's key ring.
        public static let unknownKey = Code(.unknownKey)
        /// The signature does not match: checked before anything in the payload is read.
        public static let badSignature = Code(.badSignature)
        /// The header's `alg` is not the key's algorithm or not in the allow-list (`none`,
        /// and HS256 presented for an asymmetric key, end here or at `badSignature`).
        public static let algorithmNotAllowed = Code(.algorithmNotAllowed)
        /// The payload is not a complete claims object.
        public static let invalidClaims = Code(.invalidClaims)
        public static let wrongIssuer = Code(.wrongIssuer)
        public static let wrongAudience = Code(.wrongAudience)
        /// `exp` plus leeway has passed.
        public static let expired = Code(.expired)
        /// `iat` lies further in the future than the leeway allows.
        public static let notYetValid = Code(.notYetValid)
        /// The token was issued for another host than the request's.
        public static let hostMismatch = Code(.hostMismatch)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// For logs.
    public var detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(code): \(detail)" }
}
