import Yams

/// `routing:`: which host names are the platform's own, and which hosts bypass store routing.
public struct RoutingConfig: Sendable, Equatable {
    /// Domains under which `<slug>.<domain>` reaches a store without a `store_hostnames` row;
    /// lowercase, without trailing dot.
    public var platformDomains: [String]
    /// Hosts forwarded unchanged to a named upstream (the platform's API, admin UI) instead of a
    /// store; keys normalized like `platformDomains`, values are keys of `EdgeConfig.upstreams`.
    public var passthroughHosts: [String: String]
    /// `Retry-After` for stores still provisioning (503), so clients back off instead of hammering.
    public var retryAfterSeconds: Int
    /// Answer plain-HTTP requests with a 308 to the same URL on https, so stores are only
    /// served encrypted; the health path and the admin listener are exempt.
    public var redirectHTTPToHTTPS: Bool

    public init(platformDomains: [String] = [], passthroughHosts: [String: String] = [:], retryAfterSeconds: Int = 30,
                redirectHTTPToHTTPS: Bool = false) {
        self.platformDomains = platformDomains
        self.passthroughHosts = passthroughHosts
        self.retryAfterSeconds = retryAfterSeconds
        self.redirectHTTPToHTTPS = redirectHTTPToHTTPS
    }
}

extension RoutingConfig {
    /// `upstreamNames` is nil when the upstreams section was itself invalid, so that a broken
    /// upstream does not also produce a misleading "unknown upstream" for every passthrough host.
    static func read(_ node: Node?, at path: String, upstreamNames: Set<String>?, _ reader: ConfigReader) -> RoutingConfig? {
        guard let node else { return RoutingConfig() }
        guard let map = reader.mapping(node, at: path, keys: ["platform_domains", "passthrough_hosts", "retry_after_seconds",
                                                              "redirect_http_to_https"]) else {
            return nil
        }
        var valid = true
        var config = RoutingConfig()
        if let value = map["platform_domains"] {
            if let items = reader.list(value, at: map.path("platform_domains")) {
                for (index, item) in items.enumerated() {
                    let itemPath = "\(map.path("platform_domains"))[\(index)]"
                    guard let text = reader.string(item, at: itemPath),
                          let domain = reader.hostName(text, node: item, at: itemPath)
                    else { valid = false; continue }
                    if config.platformDomains.contains(domain) {
                        reader.report(itemPath, item, "'\(domain)' is listed twice")
                        valid = false
                    }
                    config.platformDomains.append(domain)
                }
            } else {
                valid = false
            }
        }
        if let value = map["passthrough_hosts"] {
            if let entries = reader.dictionary(value, at: map.path("passthrough_hosts")) {
                for entry in entries {
                    let entryPath = ConfigMapping.join(map.path("passthrough_hosts"), entry.name)
                    guard let host = reader.hostName(entry.name, node: entry.key, at: entryPath),
                          let upstream = reader.string(entry.value, at: entryPath)
                    else { valid = false; continue }
                    if let upstreamNames, !upstreamNames.contains(upstream) {
                        reader.report(entryPath, entry.value,
                                      "upstream '\(upstream)' is not defined under upstreams")
                        valid = false
                    }
                    if config.passthroughHosts[host] != nil {
                        reader.report(entryPath, entry.key, "'\(host)' is listed twice")
                        valid = false
                    }
                    config.passthroughHosts[host] = upstream
                }
            } else {
                valid = false
            }
        }
        if let value = map["retry_after_seconds"] {
            if let seconds = reader.int(value, at: map.path("retry_after_seconds")) {
                if seconds < 1 {
                    reader.report(map.path("retry_after_seconds"), value, "must be at least 1")
                    valid = false
                }
                config.retryAfterSeconds = seconds
            } else {
                valid = false
            }
        }
        if let value = map["redirect_http_to_https"] {
            if let redirect = reader.bool(value, at: map.path("redirect_http_to_https")) {
                config.redirectHTTPToHTTPS = redirect
            } else {
                valid = false
            }
        }
        return valid ? config : nil
    }
}
