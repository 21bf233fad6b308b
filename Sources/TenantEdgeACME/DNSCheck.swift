import Glibc

/// "Does this name resolve to the proxy?", asked before ordering (issue 9): a store owner
/// whose DNS still points elsewhere would only make the challenge fail and spend the CA's
/// failed-validation limit. The decision is plain data; `AddressResolver` does the lookup.
public struct DNSCheck: Sendable, Equatable {
    /// The addresses the proxy is reached at (the load balancer's), in canonical text
    /// (inet_ntop), so `2001:DB8::1` and `2001:db8:0::1` compare equal.
    public let addresses: Set<String>
    /// An IPv4 nameserver to ask instead of the system resolver, as address and port.
    public let nameserver: (host: String, port: UInt16)?

    public init(addresses: [String], nameserver: (host: String, port: UInt16)? = nil) {
        self.addresses = Set(addresses.map { Self.canonical($0) ?? $0 })
        self.nameserver = nameserver
    }

    public static func == (a: DNSCheck, b: DNSCheck) -> Bool {
        a.addresses == b.addresses && a.nameserver?.host == b.nameserver?.host && a.nameserver?.port == b.nameserver?.port
    }

    /// nil when one resolved address is ours; else the reason stored as the name's failure,
    /// `does not resolve to this proxy (resolved: 10.0.0.9, 2001:db8::9)`.
    public func refusal(resolved: [String]) -> String? {
        let canonical = resolved.map { Self.canonical($0) ?? $0 }
        if canonical.contains(where: addresses.contains) { return nil }
        let list = canonical.isEmpty ? "nothing" : canonical.joined(separator: ", ")
        return "does not resolve to this proxy (resolved: \(list))"
    }

    /// The canonical text of an IPv4 or IPv6 literal, or nil for anything else.
    public static func canonical(_ text: String) -> String? {
        var v4 = in_addr()
        var v6 = in6_addr()
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        if inet_pton(AF_INET, text, &v4) == 1, inet_ntop(AF_INET, &v4, &buffer, socklen_t(buffer.count)) != nil {
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        if inet_pton(AF_INET6, text, &v6) == 1, inet_ntop(AF_INET6, &v6, &buffer, socklen_t(buffer.count)) != nil {
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return nil
    }
}
