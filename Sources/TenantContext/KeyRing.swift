/// The edge's keys (config `tenant_context.keys`): one signs, all asymmetric ones are
/// published. Rotation is "add the new key, publish, then switch `sign_with`, then remove the
/// old key once its tokens (60 s by default) and backends' JWKS caches have expired".
public struct KeyRing: Sendable {
    public let keys: [SigningKey]
    public let signingKey: SigningKey

    /// Nil when `signWith` names no key or that key cannot sign.
    public init?(keys: [SigningKey], signWith: String) {
        guard let key = keys.first(where: { $0.kid == signWith }), key.canSign else { return nil }
        self.keys = keys
        self.signingKey = key
    }

    /// The body of `/.well-known/jwks.json`.
    public var jwks: String { JWKS.render(keys) }
}
