import Yams

/// One named group of backend servers (`upstreams: { default: { servers: [...] } }`).
public struct UpstreamConfig: Sendable, Equatable {
    /// Backend addresses, tried in the pool's order; never empty.
    public var servers: [SocketAddressSpec]

    public init(servers: [SocketAddressSpec]) {
        self.servers = servers
    }
}

extension UpstreamConfig {
    static func read(_ node: Node, at path: String, _ reader: ConfigReader) -> UpstreamConfig? {
        guard let map = reader.mapping(node, at: path, keys: ["servers"]),
              let serversNode = map.require("servers", reader),
              let items = reader.list(serversNode, at: map.path("servers"))
        else { return nil }
        if items.isEmpty {
            reader.report(map.path("servers"), serversNode, "needs at least one server")
            return nil
        }
        var servers: [SocketAddressSpec] = []
        var valid = true
        for (index, item) in items.enumerated() {
            if let address = reader.address(item, at: "\(map.path("servers"))[\(index)]") {
                servers.append(address)
            } else {
                valid = false
            }
        }
        return valid ? UpstreamConfig(servers: servers) : nil
    }

    /// The whole `upstreams:` section; `default` must exist because every store is forwarded to it.
    static func readAll(_ node: Node?, at path: String, line: Int?, _ reader: ConfigReader) -> [String: UpstreamConfig]? {
        guard let node else {
            reader.report(path, line: line, "required key is missing")
            return nil
        }
        guard let entries = reader.dictionary(node, at: path) else { return nil }
        var upstreams: [String: UpstreamConfig] = [:]
        var valid = true
        for entry in entries {
            if let upstream = read(entry.value, at: ConfigMapping.join(path, entry.name), reader) {
                upstreams[entry.name] = upstream
            } else {
                valid = false
            }
        }
        if !entries.contains(where: { $0.name == "default" }) {
            reader.report(ConfigMapping.join(path, "default"), node, "required upstream 'default' is missing")
            valid = false
        }
        return valid ? upstreams : nil
    }
}
