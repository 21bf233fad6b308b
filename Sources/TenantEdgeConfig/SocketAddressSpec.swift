#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `host:port` as written in the configuration (`0.0.0.0:8080`, `[::1]:9901`,
/// `backend.internal:3000`), checked for syntax only: names are resolved by whoever opens
/// the socket, so a config can be validated on a machine that cannot resolve them.
public struct SocketAddressSpec: Sendable, Hashable, CustomStringConvertible {
    /// Host name or IP literal, without the brackets of an IPv6 literal.
    public var host: String
    /// 1...65535; port 0 ("any free port") makes no sense for a proxy's fixed endpoints.
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Why a text is not an address; the reason is meant to be shown to an operator.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// Parses `host:port` or `[v6]:port`. A bare IPv6 literal without brackets is rejected
    /// because its last group cannot be told apart from a port.
    public init(parsing text: String) throws(ParseError) {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw ParseError(reason: "'\(text)' has '[' without ']'; write IPv6 as [::1]:8080")
            }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                throw ParseError(reason: "'\(text)' needs ':port' after the IPv6 literal")
            }
            portPart = rest.dropFirst()
            guard Self.isIPv6(hostPart) else {
                throw ParseError(reason: "'\(hostPart)' is not an IPv6 address")
            }
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw ParseError(reason: "'\(text)' is not host:port (for example 127.0.0.1:8080)")
            }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
            if hostPart.contains(":") {
                throw ParseError(reason: "'\(text)': write IPv6 addresses in brackets, as [::1]:8080")
            }
            if hostPart.isEmpty {
                throw ParseError(reason: "'\(text)' has no host; use 0.0.0.0 to listen on all interfaces")
            }
            if let problem = Self.hostNameProblem(hostPart) {
                throw ParseError(reason: "'\(hostPart)' \(problem)")
            }
        }
        guard !portPart.isEmpty, portPart.count <= 5, portPart.allSatisfy({ $0.isASCII && $0.isNumber }),
              let port = Int(portPart), (1...65535).contains(port)
        else {
            throw ParseError(reason: "port '\(portPart)' in '\(text)' is not a number from 1 to 65535")
        }
        self.host = String(hostPart)
        self.port = UInt16(port)
    }

    /// `host:port`, with brackets around IPv6 literals so the text parses back.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    private static func isIPv6(_ text: Substring) -> Bool {
        var storage = in6_addr()
        return String(text).withCString { inet_pton(AF_INET6, $0, &storage) } == 1
    }

    private static func isIPv4(_ text: Substring) -> Bool {
        var storage = in_addr()
        return String(text).withCString { inet_pton(AF_INET, $0, &storage) } == 1
    }

    /// RFC 1123 host name syntax (plus '_', which internal DNS names use), or a dotted quad.
    private static func hostNameProblem(_ host: Substring) -> String? {
        if host.allSatisfy({ $0 == "." || ($0.isASCII && $0.isNumber) }) {
            return isIPv4(host) ? nil : "is not a valid IPv4 address"
        }
        if host.utf8.count > 253 { return "is longer than 253 characters" }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            if label.isEmpty { return "has an empty label" }
            if label.utf8.count > 63 { return "has a label longer than 63 characters" }
            if !label.utf8.allSatisfy({ byte in
                (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A)
                    || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D || byte == 0x5F
            }) {
                return "is not a valid host name"
            }
        }
        return nil
    }
}
