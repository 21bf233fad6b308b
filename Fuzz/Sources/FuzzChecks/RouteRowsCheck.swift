import TenantEdgeCore

/// The route-row loader: `stores` and `store_hostnames` rows as the master database may hold
/// them (odd case, ports, trailing dots, IP literals, duplicates, dangling store ids, non-ASCII,
/// canonically equivalent Unicode) turned into a `RouteTable`. Checked against a plain model
/// of the documented rules (first valid row wins, by bytes; lookup order exact, pass-through,
/// wildcard): every host resolves to the store the model says, never another; counts and
/// skipped rows add up; route keys are in range and name one route each.
public enum RouteRowsCheck {
    /// Pieces that make collisions and edge cases likely; a byte picks one, or raw bytes.
    static let fragments: [String] = [
        "shop", "Shop", "SHOP", "a", "b", "app", "api", ".", ".", "-", "_", ":", ":80", ":99999",
        "[", "]", "::1", "1", "0x1f", "10", "platform", "test", "example", "com", "xn--bcher-kva",
        "b\u{FC}cher", "e\u{301}", "\u{E9}", " ", "@", "/", "\u{0}", "..", "Platform.Test",
    ]
    static let statuses = ["active", "demo", "provisioning", "suspended", "inactive", "archived", "", "ACTIVE"]
    static let domainChoices = ["platform.test", "Platform.Test.", "shop.platform.test", "test", "10.0.0.1", "bad..domain", ""]

    public static func run(_ data: UnsafeRawBufferPointer) {
        var reader = FuzzReader(data)
        var policy = RoutingPolicy()
        let domainMask = reader.byte()
        for (bit, domain) in domainChoices.enumerated() where domainMask & (1 << bit) != 0 {
            policy.platformDomains.append(domain)
        }
        let passthroughCount = Int(reader.byte() % 3)
        for _ in 0..<passthroughCount {
            policy.passthroughHosts[text(&reader)] = ["api", "app", "default"][Int(reader.byte() % 3)]
        }
        var stores: [StoreRecord] = []
        let storeCount = Int(reader.byte() % 8)
        for _ in 0..<storeCount {
            stores.append(StoreRecord(id: text(&reader), slug: text(&reader),
                                      status: statuses[Int(reader.byte()) % statuses.count], isActive: reader.bool()))
        }
        var hostnames: [HostnameRecord] = []
        while !reader.isAtEnd, hostnames.count < 24 {
            hostnames.append(HostnameRecord(hostname: text(&reader), storeId: text(&reader), isCustomDomain: reader.bool()))
        }
        check(RouteMapData(stores: stores, hostnames: hostnames), policy: policy)
    }

    /// Up to four fragments, or (when the first byte says so) raw bytes read as UTF-8.
    static func text(_ reader: inout FuzzReader) -> String {
        let head = reader.byte()
        if head >= 0xF0 { return String(decoding: reader.piece(maxLength: 24), as: UTF8.self) }
        var out = ""
        for _ in 0..<Int(head % 5) { out += fragments[Int(reader.byte()) % fragments.count] }
        return out
    }

    static func normalized(_ raw: String) -> (host: [UInt8], isIPLiteral: Bool)? {
        var out: [UInt8] = []
        var isIPLiteral = false
        guard HostNormalizer.normalize(raw, into: &out, isIPLiteral: &isIPLiteral) == nil else { return nil }
        return (out, isIPLiteral)
    }

    /// The documented rules, written plainly with dictionaries keyed by bytes.
    struct Model {
        var storeIds: [[UInt8]] = []
        var storeByID: [[UInt8]: Int] = [:]
        var storeBySlug: [[UInt8]: Int] = [:]
        var hosts: [[UInt8]: (store: Int, custom: Bool)] = [:]
        var passthrough: [[UInt8]: String] = [:]
        var domains: [[UInt8]] = []
        var skippedStores = 0
        var skippedHostnames = 0

        init(_ data: RouteMapData, _ policy: RoutingPolicy) {
            for store in data.stores {
                let id = Array(store.id.utf8)
                guard id.count <= Int(UInt16.max), storeByID[id] == nil else {
                    skippedStores += 1
                    continue
                }
                storeByID[id] = storeIds.count
                let slug = store.slug.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
                let slugIsLabel = !slug.isEmpty && slug.count <= 63 && slug.allSatisfy {
                    ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x5F
                }
                if slugIsLabel, storeBySlug[slug] == nil {
                    storeBySlug[slug] = storeIds.count
                } else {
                    skippedStores += 1
                }
                storeIds.append(id)
            }
            for row in data.hostnames {
                guard let host = normalized(row.hostname), !host.isIPLiteral,
                      let store = storeByID[Array(row.storeId.utf8)], hosts[host.host] == nil
                else {
                    skippedHostnames += 1
                    continue
                }
                hosts[host.host] = (store, row.isCustomDomain)
            }
            for domain in policy.platformDomains {
                if let host = normalized(domain), !host.isIPLiteral, !domains.contains(host.host) { domains.append(host.host) }
            }
            for (host, upstream) in policy.passthroughHosts.sorted(by: { $0.key < $1.key }) {
                if let normal = normalized(host), passthrough[normal.host] == nil { passthrough[normal.host] = upstream }
            }
        }

        enum Route: Equatable, Hashable {
            case exact([UInt8], store: Int, custom: Bool)
            case passthrough([UInt8], upstream: String)
            case wildcard(store: Int, domain: Int)
            case notFound
        }

        func resolve(_ raw: String) -> Route {
            guard let (host, isIPLiteral) = normalized(raw) else { return .notFound }
            if !isIPLiteral, let row = hosts[host] { return .exact(host, store: row.store, custom: row.custom) }
            if let upstream = passthrough[host] { return .passthrough(host, upstream: upstream) }
            if isIPLiteral { return .notFound }
            guard let (index, label) = wildcardLabel(host) else { return .notFound }
            if let store = storeBySlug[label] { return .wildcard(store: store, domain: index) }
            return .notFound
        }

        /// The domain and the one label before it, if `host` is `<label>.<domain>`.
        func wildcardLabel(_ host: [UInt8]) -> (domain: Int, label: [UInt8])? {
            for (index, domain) in domains.enumerated() where host.count > domain.count + 1 {
                let labelEnd = host.count - domain.count - 1
                guard host[labelEnd] == 0x2E, Array(host[(labelEnd + 1)...]) == domain,
                      !host[..<labelEnd].contains(0x2E) else { continue }
                return (index, Array(host[..<labelEnd]))
            }
            return nil
        }
    }

    static func check(_ data: RouteMapData, policy: RoutingPolicy) {
        let table = RouteTable(data: data, policy: policy, generation: 1)
        let model = Model(data, policy)
        require(table.storeCount == model.storeIds.count, "\(table.storeCount) stores, model \(model.storeIds.count)")
        require(table.hostCount == model.hosts.count, "\(table.hostCount) hosts, model \(model.hosts.count)")
        let skippedHostnames = table.skippedRows.filter { $0.source == .hostname }.count
        let skippedStores = table.skippedRows.filter { $0.source == .store }.count
        require(skippedHostnames == model.skippedHostnames && skippedStores == model.skippedStores,
                "skipped \(skippedStores) stores and \(skippedHostnames) hostnames, model \(model.skippedStores) and \(model.skippedHostnames)")

        var probes = data.hostnames.map(\.hostname) + Array(policy.passthroughHosts.keys)
        for store in data.stores {
            for domain in policy.platformDomains {
                probes.append("\(store.slug).\(domain)")
                probes.append("\(store.slug.uppercased()).\(domain):443")
            }
        }
        var keys: [Int: Model.Route] = [:]
        for probe in probes {
            let expected = model.resolve(probe)
            let actual = table.resolve(probe)
            let got: Model.Route
            switch actual.rule {
            case .notFound:
                got = .notFound
            case .exact:
                let id = table.store(actual.storeIndex).idBytes
                got = .exact(normalized(probe)?.host ?? [], store: model.storeByID[Array(id)] ?? -1, custom: actual.hostKind == .custom)
            case .passthrough:
                got = .passthrough(normalized(probe)?.host ?? [], upstream: actual.upstream ?? "")
            case .platformWildcard:
                let id = table.store(actual.storeIndex).idBytes
                let host = normalized(probe)?.host ?? []
                let domain = model.wildcardLabel(host)?.domain ?? -1
                got = .wildcard(store: model.storeByID[Array(id)] ?? -1, domain: domain)
            }
            require(got == expected, "\(probe) resolves to \(got), model \(expected); rows \(data), policy \(policy)")
            if actual.rule == .notFound {
                require(actual.routeKey == -1, "notFound with route key \(actual.routeKey)")
            } else {
                require(actual.routeKey >= 0 && actual.routeKey < table.routeKeyCount,
                        "route key \(actual.routeKey) outside 0..<\(table.routeKeyCount)")
                if let other = keys[actual.routeKey] {
                    require(other == got, "route key \(actual.routeKey) names \(other) and \(got)")
                }
                keys[actual.routeKey] = got
            }
        }

        var walked = 0
        table.forEachHostname { host, storeIndex, isCustom in
            walked += 1
            let row = model.hosts[Array(host)]
            require(row != nil && row!.custom == isCustom
                    && model.storeByID[Array(table.store(storeIndex).idBytes)] == row!.store,
                    "forEachHostname yields \(show(host)) -> \(storeIndex), model \(String(describing: row))")
        }
        require(walked == model.hosts.count, "forEachHostname walked \(walked) of \(model.hosts.count)")
    }
}
