import Crypto
import Foundation
import Testing
import TenantContext

/// What one token costs to sign with each algorithm. Printed, not asserted (CI machines vary);
/// the figures in the notes come from here. The token cache keeps this off the request path.
@Suite struct SigningCostTests {
    @Test(arguments: [
        SigningKey(kid: "hs", secret: "s3cret-value-for-tests-32-bytes!"),
        SigningKey(kid: "ec", p256: P256.Signing.PrivateKey()),
        SigningKey(kid: "ed", ed25519: Curve25519.Signing.PrivateKey()),
    ])
    func signingCostPerToken(key: SigningKey) {
        let signer = TenantContextSigner(key: key, issuer: "tenant-edge", audience: "tenant-backend", ttlSeconds: 60)
        let iterations = 2000
        var total = 0
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for index in 0 ..< iterations {
                total &+= signer.sign(storeId: "store-1", slug: "acme", host: "acme.shops.example.com",
                                      hostKind: "platform", status: "active", now: 1_700_000_000 + Int64(index)).utf8.count
            }
        }
        let micros = Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6
        print("signing cost \(key.algorithm.rawValue): \(String(format: "%.1f", micros / Double(iterations))) µs/token")
        #expect(total > 0)
    }
}
