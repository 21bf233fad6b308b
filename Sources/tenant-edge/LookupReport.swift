import TenantEdgeCore

/// The human-readable answer of `tenant-edge lookup`.
enum LookupReport {
    static func render(host: String, table: RouteTable) -> String {
        var lines: [String] = ["host: \(host)"]
        let normalized: String
        switch HostNormalizer.normalize(host) {
        case .failure(let error):
            lines.append("normalized: invalid (\(error))")
            lines.append("decision: 400 Bad Request")
            return lines.joined(separator: "\n")
        case .success(let value):
            normalized = value.host
        }
        lines.append("normalized: \(normalized)")
        let resolution = table.resolve(host)
        lines.append("rule: \(resolution.rule)")
        if resolution.storeIndex >= 0 {
            let store = table.store(resolution.storeIndex)
            lines.append("store: \(store.id) (slug \(store.slug), status \(store.status), is_active \(store.isActive))")
            lines.append("host_kind: \(resolution.hostKind.rawValue)")
        }
        if let upstream = resolution.upstream { lines.append("upstream: \(upstream)") }
        switch RouteDecision.decide(resolution, in: table) {
        case .forward: lines.append("decision: forward to upstream default with tenant context")
        case .passthrough(let upstream): lines.append("decision: forward to upstream \(upstream) without tenant context")
        case .respond(let kind): lines.append("decision: \(kind.status) \(kind.code)")
        }
        return lines.joined(separator: "\n")
    }
}
