/// What went wrong while ordering a certificate, kept short enough to show in `/routes/<host>`
/// and the certificate row's `failure_reason`.
public struct ACMEError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Kind: String, Sendable {
        /// Network, TLS or HTTP framing: worth retrying soon.
        case transport
        /// The CA answered with an RFC 8555 problem document.
        case problem
        /// A challenge or order ended `invalid`: the name does not point here yet.
        case invalid
        /// Our side: a bad key, configuration, or storage.
        case local
    }

    public var kind: Kind
    public var description: String
    /// The problem type (`urn:ietf:params:acme:error:rateLimited`, ...), when the CA gave one.
    public var problemType: String?
    /// Seconds the CA asked us to wait (`Retry-After`), when it said.
    public var retryAfter: Double?

    public init(kind: Kind, description: String, problemType: String? = nil, retryAfter: Double? = nil) {
        self.kind = kind
        self.description = description
        self.problemType = problemType
        self.retryAfter = retryAfter
    }

    static func transport(_ text: String) -> ACMEError { ACMEError(kind: .transport, description: text) }
    static func invalid(_ text: String) -> ACMEError { ACMEError(kind: .invalid, description: text) }
    static func local(_ text: String) -> ACMEError { ACMEError(kind: .local, description: text) }

    public var isBadNonce: Bool { problemType == "urn:ietf:params:acme:error:badNonce" }
}
