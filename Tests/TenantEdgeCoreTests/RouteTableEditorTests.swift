import Testing
@testable import TenantEdgeCore

@Suite struct RouteTableEditorTests {
    static let policy = RoutingPolicy(platformDomains: ["shops.test"])

    static func baseTable() -> RouteTable {
        RouteTable(data: RouteMapData(
            stores: [
                StoreRecord(id: "s1", slug: "one", status: "active", isActive: true),
                StoreRecord(id: "s2", slug: "two", status: "active", isActive: true),
            ],
            hostnames: [
                HostnameRecord(hostname: "www.one.test", storeId: "s1", isCustomDomain: true),
                HostnameRecord(hostname: "www.two.test", storeId: "s2", isCustomDomain: true),
            ],
            sequence: 5), policy: policy, generation: 1)
    }

    @Test func manyInsertsAreAllRoutable() {
        var editor = RouteTableEditor(table: Self.baseTable())
        for index in 0 ..< 10_000 {
            editor.upsertHostname(HostnameRecord(hostname: "h\(index).bulk.test", storeId: "s1", isCustomDomain: false))
        }
        let table = editor.table(generation: 2, sequence: 6)
        #expect(table.hostCount == 10_002)
        var missing = 0
        for index in 0 ..< 10_000 where table.resolve("h\(index).bulk.test").rule != .exact { missing += 1 }
        #expect(missing == 0)
        var walked = 0
        table.forEachHostname { _, _, _ in walked += 1 }
        #expect(walked == 10_002)
    }

    @Test func renameDeleteAndStoreChanges() {
        let first = Self.baseTable()
        var editor = RouteTableEditor(table: first)
        editor.removeHostname("www.one.test")
        editor.upsertHostname(HostnameRecord(hostname: "shop.one.test", storeId: "s1", isCustomDomain: true))
        editor.upsertStore(StoreRecord(id: "s2", slug: "deux", status: "suspended", isActive: true))
        editor.upsertStore(StoreRecord(id: "s3", slug: "three", status: "active", isActive: true))
        editor.upsertHostname(HostnameRecord(hostname: "www.three.test", storeId: "s3", isCustomDomain: true))
        let table = editor.table(generation: 2, sequence: 9)

        #expect(table.resolve("www.one.test").rule == .notFound)
        #expect(table.resolve("shop.one.test").rule == .exact)
        // Old table untouched: tables are immutable snapshots.
        #expect(first.resolve("www.one.test").rule == .exact)
        #expect(first.resolve("shop.one.test").rule == .notFound)

        let two = table.resolve("www.two.test")
        #expect(table.availability(two.storeIndex) == .unavailable)
        #expect(table.store(two.storeIndex).slug == "deux")
        #expect(table.resolve("two.shops.test").rule == .notFound)
        #expect(table.resolve("deux.shops.test").storeIndex == two.storeIndex)
        let three = table.resolve("www.three.test")
        #expect(table.store(three.storeIndex).id == "s3")
        #expect(table.resolve("three.shops.test").storeIndex == three.storeIndex)
        #expect(table.hostCount == 3)
        #expect(table.storeCount == 3)

        editor.removeStore(id: "s3")
        editor.removeHostname("www.three.test")
        let after = editor.table(generation: 3, sequence: 10)
        #expect(after.resolve("three.shops.test").rule == .notFound)
        #expect(after.resolve("www.three.test").rule == .notFound)
        #expect(after.storeCount == 2)
    }

    @Test func routeKeysStayDistinctWithAnOverlay() {
        var editor = RouteTableEditor(table: Self.baseTable())
        editor.upsertHostname(HostnameRecord(hostname: "x.test", storeId: "s2", isCustomDomain: false))
        let table = editor.table(generation: 2, sequence: 6)
        let keys = ["www.one.test", "www.two.test", "x.test", "one.shops.test", "two.shops.test"].map { table.resolve($0).routeKey }
        #expect(Set(keys).count == keys.count)
        #expect(keys.allSatisfy { $0 >= 0 && $0 < table.routeKeyCount })
    }

    @Test func compactionKeepsEveryRoute() {
        var editor = RouteTableEditor(table: Self.baseTable())
        editor.removeHostname("www.two.test")
        editor.upsertStore(StoreRecord(id: "s1", slug: "uno", status: "demo", isActive: true))
        editor.upsertHostname(HostnameRecord(hostname: "new.test", storeId: "s2", isCustomDomain: false))
        let table = editor.table(generation: 2, sequence: 7)
        let compacted = RouteTableEditor.compact(table, generation: 3)
        #expect(compacted.overlaySize == 0)
        #expect(compacted.sequence == 7)
        for host in ["www.one.test", "www.two.test", "new.test", "uno.shops.test", "one.shops.test", "two.shops.test"] {
            let before = table.resolve(host)
            let after = compacted.resolve(host)
            #expect(before.rule == after.rule, "\(host)")
            if before.storeIndex >= 0 { #expect(table.store(before.storeIndex) == compacted.store(after.storeIndex)) }
        }
    }

    @Test func invalidRowsAreSkippedNotFatal() {
        var editor = RouteTableEditor(table: Self.baseTable())
        editor.upsertHostname(HostnameRecord(hostname: "bad host!.test", storeId: "s1", isCustomDomain: false))
        editor.upsertHostname(HostnameRecord(hostname: "ok.test", storeId: "nope", isCustomDomain: false))
        let table = editor.table(generation: 2, sequence: 6)
        #expect(table.skippedRows.map(\.reason).contains(.danglingStoreId))
        #expect(table.skippedRows.count == 2)
        #expect(table.hostCount == 2)
    }
}
