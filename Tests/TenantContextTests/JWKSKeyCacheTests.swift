import Crypto
import Synchronization
import Testing
import TenantContext

@Suite struct JWKSKeyCacheTests {
    final class FakeEdge: Sendable {
        let ring = Mutex<[SigningKey]>([SigningKey(kid: "a", p256: P256.Signing.PrivateKey())])
        let fetches = Atomic<Int>(0)

        func jwks() -> String {
            fetches.add(1, ordering: .relaxed)
            return JWKS.render(ring.withLock { $0 })
        }

        func token(_ kid: String, now: Int64) -> String {
            let key = ring.withLock { $0.first { $0.kid == kid }! }
            return TenantContextSigner(key: key, issuer: "tenant-edge", audience: "tenant-backend", ttlSeconds: 60)
                .sign(storeId: "s", slug: "s", host: "s.example", hostKind: "custom", status: "active", now: now)
        }
    }

    @Test func rotationIsPickedUpAndRefetchesAreRateLimited() throws {
        let edge = FakeEdge()
        let cache = JWKSKeyCache(expectedIssuer: "tenant-edge", expectedAudience: "tenant-backend",
                                 minimumRefetchSeconds: 30) { edge.jwks() }
        _ = try cache.verify(edge.token("a", now: 100), now: 100)
        _ = try cache.verify(edge.token("a", now: 101), now: 101)
        #expect(edge.fetches.load(ordering: .relaxed) == 1)

        edge.ring.withLock { $0.append(SigningKey(kid: "b", ed25519: Curve25519.Signing.PrivateKey())) }
        // Too soon after the first fetch: the unknown kid is refused without fetching.
        #expect(throws: TenantContextError.self) { try cache.verify(edge.token("b", now: 110), now: 110) }
        #expect(edge.fetches.load(ordering: .relaxed) == 1)
        _ = try cache.verify(edge.token("b", now: 140), now: 140)
        #expect(edge.fetches.load(ordering: .relaxed) == 2)
        // Made-up kids right after do not cause more fetches.
        for now in Int64(141) ... 150 {
            let forged = TenantContextSigner(key: SigningKey(kid: "x\(now)", p256: P256.Signing.PrivateKey()),
                                             issuer: "tenant-edge", audience: "tenant-backend", ttlSeconds: 60)
                .sign(storeId: "s", slug: "s", host: "s.example", hostKind: "custom", status: "active", now: now)
            #expect(throws: TenantContextError.self) { try cache.verify(forged, now: now) }
        }
        #expect(edge.fetches.load(ordering: .relaxed) == 2)
    }
}
