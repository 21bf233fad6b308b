import Synchronization

/// The edge's JWKS as a backend holds it: fetched on first use, kept, and refetched when a
/// token names a `kid` it does not know (a key rotation), at most once per
/// `minimumRefetchSeconds`, so a stream of tokens with made-up kids cannot turn every request
/// into a fetch against the edge.
///
/// The fetch itself is the caller's closure (URLSession, AsyncHTTPClient, a file): the library
/// stays free of networking and C dependencies and builds wherever Swift does.
public final class JWKSKeyCache: Sendable {
    public typealias Fetch = @Sendable () throws -> String

    private struct State {
        var keys: [SigningKey] = []
        var lastFetch: Int64?
    }

    private let fetch: Fetch
    private let template: TenantContextVerifier
    private let minimumRefetchSeconds: Int64
    private let state = Mutex(State())

    /// `allowedAlgorithms` defaults to the asymmetric ones: keys from a public document must
    /// never be used as HMAC secrets.
    public init(
        expectedIssuer: String, expectedAudience: String, allowedAlgorithms: Set<SigningAlgorithm> = [.es256, .edDSA],
        leewaySeconds: Int64 = 5, minimumRefetchSeconds: Int64 = 30, fetch: @escaping Fetch
    ) {
        self.fetch = fetch
        self.minimumRefetchSeconds = minimumRefetchSeconds
        template = TenantContextVerifier(
            keys: [], expectedIssuer: expectedIssuer, expectedAudience: expectedAudience,
            allowedAlgorithms: allowedAlgorithms, leewaySeconds: leewaySeconds)
    }

    /// Verifies with the cached keys, refetching once (rate-limited) on an unknown `kid`. A
    /// failed fetch keeps the keys already known.
    public func verify(_ token: String, now: Int64, host: String? = nil) throws(TenantContextError) -> TenantContextClaims {
        var verifier = template
        verifier.keys = keysRefreshingIfDue(now: now, force: false)
        do {
            return try verifier.verify(token, now: now, host: host)
        } catch where error.code == .unknownKey {
            verifier.keys = keysRefreshingIfDue(now: now, force: true)
            return try verifier.verify(token, now: now, host: host)
        }
    }

    /// The keys; fetched when never fetched, or when `force` and the last fetch is old enough.
    private func keysRefreshingIfDue(now: Int64, force: Bool) -> [SigningKey] {
        let due: Bool = state.withLock { state in
            guard let last = state.lastFetch else { state.lastFetch = now; return true }
            guard force, now - last >= minimumRefetchSeconds else { return false }
            state.lastFetch = now
            return true
        }
        if due, let text = try? fetch(), let keys = try? JWKS.parse(text) {
            state.withLock { $0.keys = keys }
        }
        return state.withLock { $0.keys }
    }
}
