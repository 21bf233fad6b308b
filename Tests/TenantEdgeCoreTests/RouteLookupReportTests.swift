import Testing
@testable import TenantEdgeCore

@Suite struct RouteLookupReportTests {
    let table = RouteTable(
        data: RouteMapData(
            stores: [
                StoreRecord(id: "s-acme", slug: "acme", status: "active", isActive: true),
                StoreRecord(id: "s-beta", slug: "beta", status: "provisioning", isActive: false),
            ],
            hostnames: [HostnameRecord(hostname: "www.acme-shoes.com", storeId: "s-acme", isCustomDomain: true)],
            sequence: 1),
        policy: RoutingPolicy(platformDomains: ["shops.example.com"], passthroughHosts: ["api.example.com": "api"]),
        generation: 7)

    @Test func storeHost() {
        #expect(RouteLookupReport.json(host: "WWW.Acme-Shoes.com:443", table: table) == """
            {"input":"WWW.Acme-Shoes.com:443","generation":7,"normalized":"www.acme-shoes.com","ip_literal":false,\
            "rule":"exact","host_kind":"custom","store":{"id":"s-acme","slug":"acme","status":"active",\
            "is_active":true,"availability":"serve"},"decision":{"action":"forward","upstream":"default",\
            "tenant_context":true}}
            """)
    }

    @Test func provisioningStoreByWildcard() {
        let json = RouteLookupReport.json(host: "beta.shops.example.com", table: table)
        #expect(json.contains("\"rule\":\"platform_wildcard\""))
        #expect(json.contains("\"availability\":\"provisioning\""))
        #expect(json.contains("\"decision\":{\"action\":\"respond\",\"status\":503,\"code\":\"\(ErrorKind.provisioning.code)\"}"))
    }

    @Test func passthroughAndNotFound() {
        let passthrough = RouteLookupReport.json(host: "api.example.com", table: table)
        #expect(passthrough.contains("\"rule\":\"passthrough\",\"store\":null,"))
        #expect(passthrough.contains("\"decision\":{\"action\":\"passthrough\",\"upstream\":\"api\",\"tenant_context\":false}"))
        let missing = RouteLookupReport.json(host: "nobody.example.org", table: table)
        #expect(missing.contains("\"rule\":\"not_found\",\"store\":null,\"decision\":{\"action\":\"respond\",\"status\":404"))
    }

    @Test func invalidHostShowsTheNormalizerError() {
        let json = RouteLookupReport.json(host: "a..b", table: table)
        #expect(json == """
            {"input":"a..b","generation":7,"normalized":null,"error":"\(HostError.emptyLabel)",\
            "decision":{"action":"respond","status":400,"code":"\(ErrorKind.badRequest.code)"}}
            """)
        #expect(RouteLookupReport.json(host: "x\"y", table: table).hasPrefix("{\"input\":\"x\\\"y\""))
    }

    @Test func readiness() {
        let loaded = RouteMapStatus(generation: 2, ageSeconds: 3.7)
        #expect(ReadinessReport(ready: true, reason: nil, routeMap: RouteMapStatus()) ==
                ReadinessReport(ready: false, reason: nil, routeMap: RouteMapStatus()))
        let before = ReadinessReport(ready: true, reason: nil, routeMap: RouteMapStatus())
        #expect(before.status == 503)
        #expect(before.json == "{\"ready\":false,\"reason\":\"no route map loaded yet\"}")
        let draining = ReadinessReport(ready: false, reason: "draining", routeMap: loaded)
        #expect(draining.status == 503)
        #expect(draining.json == "{\"ready\":false,\"reason\":\"draining\"}")
        let ok = ReadinessReport(ready: true, reason: nil, routeMap: loaded)
        #expect(ok.status == 200)
        #expect(ok.json == "{\"ready\":true,\"status\":\"ok\",\"generation\":2,\"map_age_seconds\":3}")
        var stale = loaded
        stale.servingFromSnapshot = true
        let degraded = ReadinessReport(ready: true, reason: nil, routeMap: stale)
        #expect(degraded.status == 200)
        #expect(degraded.json.contains("\"status\":\"degraded: serving from snapshot\""))
    }
}
