/// The configured part of routing (config `routing:`), combined with the database rows
/// when a `RouteTable` is built.
public struct RoutingPolicy: Sendable, Equatable {
    /// Domains under which `<slug>.<domain>` reaches a store without a `store_hostnames` row
    /// (exactly one extra label). Normalized when the table is built.
    public var platformDomains: [String]
    /// The platform's own hosts (web app, API), forwarded without tenant context:
    /// host -> upstream name.
    public var passthroughHosts: [String: String]

    public init(platformDomains: [String] = [], passthroughHosts: [String: String] = [:]) {
        self.platformDomains = platformDomains
        self.passthroughHosts = passthroughHosts
    }
}
