import TenantEdgeCore

/// Maps one parsed admin request to its response. The answers themselves are built by core
/// types (`EdgeMetrics`, `ReadinessReport`, `RouteLookupReport`) that have unit tests; this
/// only dispatches, checks the token and reads the live sources.
struct AdminRouter {
    let sources: AdminSources

    /// `path` without the query; `authorization` is the Authorization field's value, if any.
    func respond(method: HTTPMethod, path: String, authorization: [UInt8]?) -> AdminResponse {
        guard method == .get || method == .head else {
            var response = AdminResponse.text(405, "only GET and HEAD\n")
            response.extraHeaders = [("Allow", "GET, HEAD")]
            return response
        }
        // Liveness carries no information, and probes that cannot send headers need it.
        if path == "/healthz" { return .text(200, "ok\n") }
        // Public keys are public: backends fetch them without the operators' admin token.
        if path == "/.well-known/jwks.json" { return .json(200, sources.jwks()) }
        if let token = sources.bearerToken, !Self.authorized(authorization, token: token) {
            var response = AdminResponse.json(401, "{\"error\":\"missing or wrong bearer token\"}")
            response.extraHeaders = [("WWW-Authenticate", "Bearer realm=\"tenant-edge admin\"")]
            return response
        }
        switch path {
        case "/readyz":
            let readiness = sources.readiness()
            let report = ReadinessReport(ready: readiness.ready, reason: readiness.reason, routeMap: sources.routeStatus())
            return .json(report.status, report.json)
        case "/metrics":
            return AdminResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8",
                                 body: sources.metrics().render() + (sources.extraMetrics?() ?? ""))
        case "/.well-known/jwks.json":
            return .json(200, sources.jwks())
        default:
            if path.hasPrefix("/routes/"), path.count > "/routes/".count {
                let host = Self.percentDecoded(path.dropFirst("/routes/".count))
                var json = RouteLookupReport.json(host: host, table: sources.routes.current)
                if let certificateState = sources.certificateState, json.hasSuffix("}") {
                    json.removeLast()
                    json += ",\"certificate\":" + certificateState(host) + "}"
                }
                return .json(200, json)
            }
            return .json(404, "{\"error\":\"not found\",\"endpoints\":[\"/healthz\",\"/readyz\",\"/metrics\","
                             + "\"/routes/<host>\",\"/.well-known/jwks.json\"]}")
        }
    }

    /// `Bearer <token>`, scheme case-insensitive (RFC 9110 section 11.1), token compared in
    /// constant time so response timing does not reveal how much of a guess was right.
    static func authorized(_ value: [UInt8]?, token: String) -> Bool {
        guard let value, value.count > 7 else { return false }
        let scheme = value[0..<7].map { $0 | 0x20 }
        guard scheme == Array("bearer ".utf8) else { return false }
        let presented = value[7...].drop { $0 == UInt8(ascii: " ") }
        let expected = Array(token.utf8)
        var difference: UInt8 = presented.count == expected.count ? 0 : 1
        for (index, byte) in expected.enumerated() {
            let other = index < presented.count ? presented[presented.startIndex + index] : 0
            difference |= byte ^ other
        }
        return difference == 0
    }

    /// `%5B::1%5D` -> `[::1]`, for hosts that shells and curl mangle; invalid escapes stay as they are.
    static func percentDecoded(_ text: Substring) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
               let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x37
        case 0x61...0x66: byte - 0x57
        default: nil
        }
    }
}
