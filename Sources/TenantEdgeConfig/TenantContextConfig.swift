import TenantContext
import Yams

/// `tenant_context:`: how the signed X-Tenant-Context header is made (DESIGN.md section 6).
public struct TenantContextConfig: Sendable, Equatable {
    /// `iss` claim.
    public var issuer: String
    /// `aud` claim; backends reject tokens meant for someone else.
    public var audience: String
    /// Token lifetime. Short, because a token leaked from a backend log must expire quickly,
    /// and cached tokens are re-signed well before expiry anyway.
    public var ttlSeconds: Int
    /// `kid` of the key used for signing; the other keys are only published.
    public var signWith: String
    /// All configured keys; `signWith` is guaranteed to name one of them.
    public var keys: [KeyConfig]

    public init(issuer: String = "tenant-edge", audience: String = "tenant-backend", ttlSeconds: Int = 60,
                signWith: String, keys: [KeyConfig]) {
        self.issuer = issuer
        self.audience = audience
        self.ttlSeconds = ttlSeconds
        self.signWith = signWith
        self.keys = keys
    }

    /// The key named by `signWith`. Loading guarantees it exists; a hand-built config without
    /// it is a programming error.
    public var signingKey: KeyConfig {
        guard let key = keys.first(where: { $0.kid == signWith }) else {
            preconditionFailure("tenant_context.sign_with '\(signWith)' names no key")
        }
        return key
    }

    /// The ring the edge signs with and publishes: every key, `signWith` signing.
    public func makeKeyRing() -> KeyRing {
        guard let ring = KeyRing(keys: keys.map { $0.makeSigningKey() }, signWith: signWith) else {
            preconditionFailure("tenant_context.sign_with '\(signWith)' names no key")
        }
        return ring
    }
}

extension TenantContextConfig {
    static func read(_ node: Node?, at path: String, line: Int?, _ reader: ConfigReader) -> TenantContextConfig? {
        guard let node else {
            reader.report(path, line: line, "required key is missing")
            return nil
        }
        guard let map = reader.mapping(node, at: path, keys: ["issuer", "audience", "ttl_seconds", "sign_with", "keys"]) else {
            return nil
        }
        var valid = true
        let issuer = map["issuer"].map { reader.string($0, at: map.path("issuer")) } ?? "tenant-edge"
        let audience = map["audience"].map { reader.string($0, at: map.path("audience")) } ?? "tenant-backend"
        var ttl: Int? = 60
        if let value = map["ttl_seconds"] {
            ttl = reader.int(value, at: map.path("ttl_seconds"))
            if let seconds = ttl, seconds <= 0 {
                reader.report(map.path("ttl_seconds"), value, "must be greater than 0")
                valid = false
            }
        }
        let signWithNode = map.require("sign_with", reader)
        let signWith = signWithNode.flatMap { reader.string($0, at: map.path("sign_with")) }
        var keys: [KeyConfig] = []
        if let keysNode = map.require("keys", reader), let items = reader.list(keysNode, at: map.path("keys")) {
            if items.isEmpty {
                reader.report(map.path("keys"), keysNode, "needs at least one key")
                valid = false
            }
            for (index, item) in items.enumerated() {
                let itemPath = "\(map.path("keys"))[\(index)]"
                guard let key = KeyConfig.read(item, at: itemPath, reader) else { valid = false; continue }
                if keys.contains(where: { $0.kid == key.kid }) {
                    reader.report(itemPath, item, "kid '\(key.kid)' is used twice")
                    valid = false
                }
                keys.append(key)
            }
            // Checked against the kids as written, so a key that is invalid for another reason
            // (its variable unset) does not also make sign_with look wrong.
            let writtenKids = items.compactMap { $0.mapping?["kid"]?.scalar?.string }
            if let signWith, let signWithNode, !writtenKids.contains(signWith) {
                reader.report(map.path("sign_with"), signWithNode, "no key has kid '\(signWith)'")
                valid = false
            }
        } else {
            valid = false
        }
        guard valid, let issuer, let audience, let ttl, let signWith else { return nil }
        return TenantContextConfig(issuer: issuer, audience: audience, ttlSeconds: ttl, signWith: signWith, keys: keys)
    }
}
