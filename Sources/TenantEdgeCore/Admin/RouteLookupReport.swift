/// The JSON answer of the admin endpoint `/routes/<host>`: how a host normalizes, which rule
/// matched, the store and the decision, computed by the same `HostNormalizer`,
/// `RouteTable.resolve` and `RouteDecision.decide` as the request path, so what it shows is
/// what a request gets.
public enum RouteLookupReport {
    public static func json(host input: String, table: RouteTable) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        JSONOutput.appendRaw("{\"input\":", to: &out)
        JSONOutput.appendString(input, to: &out)
        JSONOutput.appendRaw(",\"generation\":", to: &out)
        JSONOutput.appendUInt(table.generation, to: &out)
        switch HostNormalizer.normalize(input) {
        case .failure(let error):
            JSONOutput.appendRaw(",\"normalized\":null,\"error\":", to: &out)
            JSONOutput.appendString(error.description, to: &out)
            appendRespond(.badRequest, to: &out)
        case .success(let normalized):
            JSONOutput.appendRaw(",\"normalized\":", to: &out)
            JSONOutput.appendString(normalized.host, to: &out)
            JSONOutput.appendRaw(",\"ip_literal\":", to: &out)
            JSONOutput.appendRaw(normalized.isIPLiteral ? "true" : "false", to: &out)
            let resolution = table.resolve(input)
            JSONOutput.appendRaw(",\"rule\":", to: &out)
            JSONOutput.appendString(ruleName(resolution.rule), to: &out)
            if resolution.storeIndex >= 0 {
                let store = table.store(resolution.storeIndex)
                JSONOutput.appendRaw(",\"host_kind\":", to: &out)
                JSONOutput.appendString(resolution.hostKind.rawValue, to: &out)
                JSONOutput.appendRaw(",\"store\":{\"id\":", to: &out)
                JSONOutput.appendString(store.id, to: &out)
                JSONOutput.appendRaw(",\"slug\":", to: &out)
                JSONOutput.appendString(store.slug, to: &out)
                JSONOutput.appendRaw(",\"status\":", to: &out)
                JSONOutput.appendString(store.status, to: &out)
                JSONOutput.appendRaw(",\"is_active\":", to: &out)
                JSONOutput.appendRaw(store.isActive ? "true" : "false", to: &out)
                JSONOutput.appendRaw(",\"availability\":", to: &out)
                JSONOutput.appendString(availabilityName(store.availability), to: &out)
                out.append(UInt8(ascii: "}"))
            } else {
                JSONOutput.appendRaw(",\"store\":null", to: &out)
            }
            switch RouteDecision.decide(resolution, in: table) {
            case .forward:
                JSONOutput.appendRaw(",\"decision\":{\"action\":\"forward\",\"upstream\":\"default\",\"tenant_context\":true}", to: &out)
            case .passthrough(let upstream):
                JSONOutput.appendRaw(",\"decision\":{\"action\":\"passthrough\",\"upstream\":", to: &out)
                JSONOutput.appendString(upstream, to: &out)
                JSONOutput.appendRaw(",\"tenant_context\":false}", to: &out)
            case .respond(let kind):
                appendRespond(kind, to: &out)
            }
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    private static func appendRespond(_ kind: ErrorKind, to out: inout [UInt8]) {
        JSONOutput.appendRaw(",\"decision\":{\"action\":\"respond\",\"status\":", to: &out)
        JSONOutput.appendInt(Int64(kind.status), to: &out)
        JSONOutput.appendRaw(",\"code\":", to: &out)
        JSONOutput.appendString(kind.code, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    static func ruleName(_ rule: RouteResolution.Rule) -> String {
        switch rule {
        case .exact: "exact"
        case .platformWildcard: "platform_wildcard"
        case .passthrough: "passthrough"
        case .notFound: "not_found"
        }
    }

    static func availabilityName(_ availability: StoreAvailability) -> String {
        switch availability {
        case .serve: "serve"
        case .provisioning: "provisioning"
        case .unavailable: "unavailable"
        case .closed: "closed"
        case .unknownStatus: "unknown_status"
        }
    }
}
