// A Swift backend's check of X-Tenant-Context with the TenantContext library product:
//   .package(url: "<this repository>", from: "..."),
//   .product(name: "TenantContext", package: "tenant-edge")
// Framework-neutral: call `store(for:)` from your Hummingbird/Vapor middleware with the
// request's headers and answer 401 when it throws.
import Foundation
import TenantContext

/// The store a request belongs to, as vouched for by the edge.
struct RequestStore: Sendable {
    var id: String
    var slug: String
    var host: String
}

/// One per process: the JWKS is fetched on first use and refetched (at most every 30 s) when a
/// token names an unknown kid, which is how key rotations reach the backend.
struct TenantContextCheck: Sendable {
    let cache: JWKSKeyCache

    init(jwksURL: URL) {
        cache = JWKSKeyCache(expectedIssuer: "tenant-edge", expectedAudience: "tenant-backend") {
            // Any HTTP client will do; a blocking read keeps the example short.
            try String(contentsOf: jwksURL, encoding: .utf8)
        }
    }

    /// `token` is the X-Tenant-Context value, `host` the request's own Host header.
    func store(token: String?, host: String?) throws(TenantContextError) -> RequestStore {
        guard let token else { throw TenantContextError(.malformed, "no X-Tenant-Context") }
        let bareHost = host.map { String($0.split(separator: ":").first ?? "") }
        let claims = try cache.verify(token, now: Int64(Date().timeIntervalSince1970), host: bareHost)
        return RequestStore(id: claims.storeId, slug: claims.slug, host: claims.host)
    }
}
