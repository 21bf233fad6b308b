import Testing
@testable import TenantEdgeCore

@Suite struct RouteTableTests {
    static let policy = RoutingPolicy(
        platformDomains: ["Shops.Example.com", "myshop.test."],
        passthroughHosts: ["app.shops.example.com": "web", "API.example.com": "api", "10.9.9.9": "web"])

    static let data = RouteMapData(
        stores: [
            StoreRecord(id: "s-acme", slug: "acme", status: "active", isActive: true),
            StoreRecord(id: "s-beta", slug: "Beta", status: "provisioning", isActive: false),
            StoreRecord(id: "s-app", slug: "app", status: "active", isActive: true),
            StoreRecord(id: "s-gone", slug: "gone", status: "inactive", isActive: false),
        ],
        hostnames: [
            HostnameRecord(hostname: "www.acme-shoes.com", storeId: "s-acme", isCustomDomain: true),
            HostnameRecord(hostname: "acme.shops.example.com", storeId: "s-acme", isCustomDomain: false),
            // An exact row beats the wildcard that would send the host to store "beta".
            HostnameRecord(hostname: "beta.myshop.test", storeId: "s-gone", isCustomDomain: false),
        ],
        sequence: 42)

    let table = RouteTable(data: Self.data, policy: Self.policy, generation: 7)

    @Test func exactRowWins() {
        let custom = table.resolve("WWW.Acme-Shoes.com:443")
        #expect(custom.rule == .exact)
        #expect(custom.hostKind == .custom)
        #expect(table.store(custom.storeIndex).id == "s-acme")
        #expect(custom.routeKey == 0)

        let platformRow = table.resolve("acme.shops.example.com")
        #expect(platformRow.rule == .exact)
        #expect(platformRow.hostKind == .platform)
        #expect(platformRow.routeKey == 1)

        let overridesWildcard = table.resolve("beta.myshop.test")
        #expect(overridesWildcard.rule == .exact)
        #expect(table.store(overridesWildcard.storeIndex).id == "s-gone")
    }

    @Test func platformWildcardBySlug() {
        let resolution = table.resolve("beta.shops.example.com")
        #expect(resolution.rule == .platformWildcard)
        #expect(resolution.hostKind == .platform)
        let store = table.store(resolution.storeIndex)
        #expect(store.id == "s-beta")
        #expect(Array(store.slugBytes) == Array("Beta".utf8))
        #expect(Array(store.idBytes) == Array("s-beta".utf8))
        // hostCount + storeIndex * domainCount + domainIndex
        #expect(resolution.routeKey == table.hostCount + 1 * 2 + 0)
        #expect(table.resolve("acme.myshop.test").routeKey == table.hostCount + 0 * 2 + 1)
    }

    @Test func wildcardNeedsExactlyOneExtraLabel() {
        #expect(table.resolve("x.acme.shops.example.com").rule == .notFound)
        #expect(table.resolve("shops.example.com").rule == .notFound)
        #expect(table.resolve("acme.example.com").rule == .notFound)
        #expect(table.resolve("acmeshops.example.com").rule == .notFound)
        #expect(table.resolve("unknown.shops.example.com").rule == .notFound)
    }

    @Test func passthroughHostsCannotBeTakenOverByAStoreSlug() {
        // "app" is both a store slug and (under shops.example.com) a pass-through host:
        // the operator's pass-through host wins, or a store named "app" would capture
        // the platform's own web host.
        let protected = table.resolve("app.shops.example.com")
        #expect(protected.rule == .passthrough)
        #expect(protected.upstream == "web")

        let passthrough = table.resolve("api.example.com")
        #expect(passthrough.rule == .passthrough)
        #expect(passthrough.upstream == "api")
        #expect(passthrough.storeIndex == -1)
        #expect(table.passthroughUpstreams[Int(passthrough.upstreamIndex)] == "api")
        #expect(passthrough.routeKey >= table.hostCount + table.storeCount * 2)
        #expect(passthrough.routeKey < table.routeKeyCount)

        #expect(table.resolve("nowhere.example.org") == .notFound)
        #expect(table.resolve("") == .notFound)
        #expect(table.resolve("bad host") == .notFound)
    }

    @Test func ipLiteralsNeverMatchAStore() {
        let data = RouteMapData(
            stores: [StoreRecord(id: "s1", slug: "1", status: "active", isActive: true)],
            hostnames: [HostnameRecord(hostname: "192.0.2.1", storeId: "s1", isCustomDomain: true)])
        let table = RouteTable(data: data, policy: RoutingPolicy(platformDomains: ["0.2.1"]), generation: 1)
        #expect(table.hostCount == 0)
        #expect(table.skippedRows.contains { $0.reason == .ipLiteral && $0.source == .hostname })
        #expect(table.resolve("192.0.2.1").rule == .notFound)
        #expect(table.resolve("1.0.2.1").rule == .notFound)

        // Even when the caller's bytes would match, the flag wins.
        let bytes = Array("192.0.2.1".utf8)
        #expect(bytes.withUnsafeBytes { table.resolve($0, isIPLiteral: true) } == .notFound)
        // A configured pass-through IP is still honoured.
        #expect(self.table.resolve("10.9.9.9:80").rule == .passthrough)
    }

    @Test func badRowsAreSkippedWithAReason() {
        let data = RouteMapData(
            stores: [
                StoreRecord(id: "s1", slug: "one", status: "active", isActive: true),
                StoreRecord(id: "s1", slug: "again", status: "active", isActive: true),
                StoreRecord(id: "s2", slug: "ONE", status: "active", isActive: true),
                StoreRecord(id: "s3", slug: "two.labels", status: "active", isActive: true),
            ],
            hostnames: [
                HostnameRecord(hostname: "ok.example", storeId: "s1", isCustomDomain: true),
                HostnameRecord(hostname: "OK.example.", storeId: "s2", isCustomDomain: true),
                HostnameRecord(hostname: "bad@host", storeId: "s1", isCustomDomain: true),
                HostnameRecord(hostname: "orphan.example", storeId: "missing", isCustomDomain: true),
                HostnameRecord(hostname: "two.example", storeId: "s3", isCustomDomain: false),
            ])
        let table = RouteTable(data: data, policy: RoutingPolicy(platformDomains: ["p.example", "bad domain"]), generation: 1)
        let reasons = table.skippedRows.map { "\($0.source.rawValue):\($0.index):\($0.reason)" }
        #expect(reasons == [
            "store:1:duplicate store id",
            "store:2:duplicate slug",
            "store:3:slug is not a single DNS label",
            "hostname:1:duplicate hostname",
            "hostname:2:invalid character in host",
            "hostname:3:store id not found",
            "platformDomain:1:invalid character in host",
        ])
        #expect(table.storeCount == 3)
        #expect(table.hostCount == 2)
        #expect(table.store(table.resolve("ok.example").storeIndex).id == "s1")
        #expect(table.store(table.resolve("one.p.example").storeIndex).id == "s1")
        #expect(table.store(table.resolve("two.example").storeIndex).id == "s3")
        #expect(table.platformDomains == ["p.example"])
    }

    @Test func metadataAndDecisions() {
        #expect(table.generation == 7)
        #expect(table.sequence == 42)
        #expect(table.storeCount == 4)
        #expect(table.hostCount == 3)
        #expect(table.hostname(0) == "www.acme-shoes.com")
        #expect(table.platformDomains == ["shops.example.com", "myshop.test"])

        #expect(RouteDecision.decide(table.resolve("www.acme-shoes.com"), in: table) == .forward(storeIndex: 0))
        #expect(RouteDecision.decide(table.resolve("beta.shops.example.com"), in: table) == .respond(.provisioning))
        #expect(RouteDecision.decide(table.resolve("gone.shops.example.com"), in: table) == .respond(.closed))
        #expect(RouteDecision.decide(table.resolve("api.example.com"), in: table) == .passthrough(upstream: "api"))
        #expect(RouteDecision.decide(table.resolve("nope.example"), in: table) == .respond(.notFound))
    }

    @Test func everyRouteKeyIsDistinctAndInRange() {
        let hosts = ["www.acme-shoes.com", "acme.shops.example.com", "beta.myshop.test", "acme.myshop.test",
                     "beta.shops.example.com", "gone.shops.example.com", "app.myshop.test", "api.example.com", "10.9.9.9"]
        let keys = hosts.map { table.resolve($0).routeKey }
        #expect(Set(keys).count == hosts.count)
        #expect(keys.allSatisfy { (0 ..< table.routeKeyCount).contains($0) })
    }

    @Test func buildsAHundredThousandRows() {
        let count = 100_000
        var stores: [StoreRecord] = []
        var hostnames: [HostnameRecord] = []
        stores.reserveCapacity(count)
        hostnames.reserveCapacity(count)
        for index in 0 ..< count {
            stores.append(StoreRecord(id: "store-\(index)", slug: "shop\(index)", status: "active", isActive: true))
            hostnames.append(HostnameRecord(hostname: "www.custom-domain-\(index).com", storeId: "store-\(index)", isCustomDomain: true))
        }
        let clock = ContinuousClock()
        var table: RouteTable?
        let elapsed = clock.measure {
            table = RouteTable(data: RouteMapData(stores: stores, hostnames: hostnames), policy: Self.policy, generation: 1)
        }
        guard let table else { return }
        #expect(table.hostCount == count)
        #expect(table.storeCount == count)
        #expect(table.skippedRows.isEmpty)
        // Generous: debug build on a shared 2-core machine.
        #expect(elapsed < .seconds(20))
        for index in stride(from: 0, to: count, by: 997) {
            let exact = table.resolve("www.custom-domain-\(index).com")
            #expect(exact.rule == .exact && exact.routeKey == index && exact.storeIndex == Int32(index))
            let wildcard = table.resolve("shop\(index).myshop.test")
            #expect(wildcard.rule == .platformWildcard && wildcard.storeIndex == Int32(index))
        }
        #expect(table.resolve("www.custom-domain-\(count).com").rule == .notFound)
        // Compact: one hostname and one slug entry (~25 + 10 bytes of arena each) plus slots
        // at most half full, about 110 bytes per store at this size; no per-host objects.
        #expect(table.indexMemoryFootprint < count * 150)
    }
}
