import TenantEdgeCore
import Yams

/// Readers for the top-level keys that steer operations (issue 5): trusted proxies, the
/// traffic-port health path and the drain deadline.
extension EdgeConfig {
    /// `trusted_proxies: ["10.0.0.0/8", "::1/128"]`; each bad entry reported at its own line.
    static func readTrustedProxies(_ node: Node?, _ reader: ConfigReader) -> TrustedProxies? {
        guard let node else { return TrustedProxies() }
        guard let items = reader.list(node, at: "trusted_proxies") else { return nil }
        var ranges: [CIDRRange] = []
        var valid = true
        for (index, item) in items.enumerated() {
            let path = "trusted_proxies[\(index)]"
            guard let text = reader.string(item, at: path) else { valid = false; continue }
            do {
                ranges.append(try CIDRRange(parsing: text))
            } catch {
                reader.report(path, item, error.reason)
                valid = false
            }
        }
        return valid ? TrustedProxies(ranges) : nil
    }

    /// `health_path: /__health`: answered 200 on the traffic port before routing, so a load
    /// balancer can probe every listener without knowing a store host. Only a plain absolute
    /// path: it is compared byte for byte with the request target.
    static func readHealthPath(_ node: Node?, _ reader: ConfigReader) -> (path: String?, valid: Bool) {
        guard let node else { return (nil, true) }
        guard let text = reader.string(node, at: "health_path") else { return (nil, false) }
        let allowed = text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#") }
        guard text.hasPrefix("/"), allowed, text.utf8.count <= 256 else {
            reader.report("health_path", node,
                          "'\(text)' must be an absolute path such as /__health (no query, fragment or spaces, at most 256 bytes)")
            return (nil, false)
        }
        return (text, true)
    }

    /// `shutdown_timeout`: seconds in-flight requests get after SIGTERM; 30 matches the
    /// default termination grace period of Kubernetes and most load balancers' drain.
    static func readShutdownTimeout(_ node: Node?, _ reader: ConfigReader) -> Double? {
        guard let node else { return 30 }
        return reader.seconds(node, at: "shutdown_timeout")
    }
}
