import Yams

/// One `listen:` entry: `{ address: "0.0.0.0:8080", protocol: http, proxy_protocol: false }`.
public struct ListenerConfig: Sendable, Equatable {
    /// Where to accept connections.
    public var address: SocketAddressSpec
    /// Plain HTTP or TLS.
    public var `protocol`: ListenerProtocol
    /// Expect a PROXY protocol header first (behind a TCP load balancer), so the client address
    /// in X-Forwarded-For is the real one rather than the balancer's.
    public var proxyProtocol: Bool

    public init(address: SocketAddressSpec, protocol: ListenerProtocol = .http, proxyProtocol: Bool = false) {
        self.address = address
        self.protocol = `protocol`
        self.proxyProtocol = proxyProtocol
    }
}

extension ListenerConfig {
    static func read(_ node: Node, at path: String, _ reader: ConfigReader) -> ListenerConfig? {
        guard let map = reader.mapping(node, at: path, keys: ["address", "protocol", "proxy_protocol"]) else {
            return nil
        }
        let address = map.require("address", reader).flatMap { reader.address($0, at: map.path("address")) }
        var listenerProtocol: ListenerProtocol? = .http
        if let value = map["protocol"] {
            let text = reader.string(value, at: map.path("protocol"))
            listenerProtocol = text.flatMap(ListenerProtocol.init(rawValue:))
            if text != nil, listenerProtocol == nil {
                reader.report(map.path("protocol"), value, "expected http or https, not '\(text ?? "")'")
            }
        }
        var proxyProtocol: Bool? = false
        if let value = map["proxy_protocol"] {
            proxyProtocol = reader.bool(value, at: map.path("proxy_protocol"))
        }
        guard let address, let listenerProtocol, let proxyProtocol else { return nil }
        return ListenerConfig(address: address, protocol: listenerProtocol, proxyProtocol: proxyProtocol)
    }
}
