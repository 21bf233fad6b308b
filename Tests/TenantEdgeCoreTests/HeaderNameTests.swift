import Testing
@testable import TenantEdgeCore

@Suite struct HeaderNameTests {
    static func classify(_ name: String) -> HeaderName {
        withBytes(Array(name.utf8)) { HeaderName.classify($0) }
    }

    @Test(arguments: [
        ("Host", HeaderName.host), ("HOST", .host), ("host", .host),
        ("Content-Length", .contentLength), ("content-length", .contentLength),
        ("Transfer-Encoding", .transferEncoding), ("Connection", .connection), ("Keep-Alive", .keepAlive),
        ("Proxy-Connection", .proxyConnection), ("TE", .te), ("Trailer", .trailer), ("Upgrade", .upgrade),
        ("Expect", .expect), ("X-Forwarded-For", .xForwardedFor), ("X-Forwarded-Proto", .xForwardedProto),
        ("X-Forwarded-Host", .xForwardedHost), ("X-Forwarded-Port", .xForwardedPort), ("X-Request-Id", .xRequestId),
        ("X-Tenant-Context", .xTenantContext), ("x-tenant-context", .xTenantContext), ("X-Store-Id", .xStoreId),
        ("X-Store-Slug", .xStoreSlug), ("Forwarded", .forwarded), ("Proxy-Authorization", .proxyAuthorization),
        ("Proxy-Authenticate", .proxyAuthenticate),
    ])
    func knownNames(name: String, expected: HeaderName) {
        #expect(Self.classify(name) == expected)
    }

    /// CGI-style backends read X_Tenant_Context as X-Tenant-Context, so it must be caught too.
    @Test(arguments: [
        ("X_Tenant_Context", HeaderName.xTenantContext), ("x_tenant-context", .xTenantContext),
        ("X_Store_Id", .xStoreId), ("X_STORE_SLUG", .xStoreSlug), ("X_Forwarded_For", .xForwardedFor),
        ("X_Forwarded_Proto", .xForwardedProto), ("X_Forwarded_Host", .xForwardedHost),
        ("X_Forwarded_Port", .xForwardedPort), ("X_Request_Id", .xRequestId),
    ])
    func underscoreSpellings(name: String, expected: HeaderName) {
        #expect(Self.classify(name) == expected)
    }

    @Test(arguments: [
        "", "X", "Hos", "Hosts", "Content_Length", "Transfer_Encoding", "Keep_Alive", "X-Tenant-Contex", "X-Tenant-ContextX",
        "X-Store-Ix", "Accept", "Content-Type", "Close", "Xhost", "X-Forwarded-Fo",
    ])
    func otherNames(name: String) {
        #expect(Self.classify(name) == .other)
    }

    @Test func maskBitsAreDistinct() {
        let bits = HeaderName.allCases.map(\.maskBit)
        #expect(Set(bits).count == HeaderName.allCases.count)
        #expect(HeaderName.other.maskBit == 1)
    }
}
