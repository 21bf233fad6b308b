/// One row of `tenant_edge_certificates`: a hostname's certificate and where its issuance stands.
public struct CertificateRecord: Sendable, Equatable {
    public enum State: String, Sendable {
        /// An instance holds the advisory lock and is ordering.
        case pending
        case valid
        /// The last order failed; `failureReason` says why, `nextAttemptAt` when to try again.
        case failing
    }

    public var hostname: String
    public var state: State
    public var chainPEM: String?
    public var sealedKey: CertificateVault.Sealed?
    public var notBefore: Double?
    public var notAfter: Double?
    public var failureReason: String?
    public var failures: Int
    /// Unix seconds.
    public var nextAttemptAt: Double?
    /// How many orders were placed for this name, ever: a second instance must never add one.
    public var orders: Int
    /// The token of a TLS-ALPN-01 challenge the CA is validating now, whichever instance ordered.
    public var challengeToken: String?

    public init(hostname: String, state: State, chainPEM: String? = nil, sealedKey: CertificateVault.Sealed? = nil,
                notBefore: Double? = nil, notAfter: Double? = nil, failureReason: String? = nil,
                failures: Int = 0, nextAttemptAt: Double? = nil, orders: Int = 0, challengeToken: String? = nil) {
        self.hostname = hostname
        self.state = state
        self.chainPEM = chainPEM
        self.sealedKey = sealedKey
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.failureReason = failureReason
        self.failures = failures
        self.nextAttemptAt = nextAttemptAt
        self.orders = orders
        self.challengeToken = challengeToken
    }
}
