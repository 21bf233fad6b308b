import Synchronization

/// HTTP-01 key authorizations (RFC 8555 section 8.3) the proxy serves on its plain-HTTP
/// listeners at `/.well-known/acme-challenge/<token>`, before any routing.
///
/// Two sources: tokens published one by one, and the account's JWK thumbprint. With the
/// thumbprint every instance answers any token of the shared account (`<token>.<thumbprint>`
/// is all a key authorization is, and it reveals nothing secret), so validation succeeds
/// whichever instance the CA's request reaches behind the load balancer.
///
/// Written by the issuance thread, read by workers only for requests under the challenge
/// path, and only once ACME is active (one atomic load first), so other requests never
/// touch the lock.
public final class ACMEChallengeResponses: Sendable {
    private struct State {
        var tokens: [String: String] = [:]
        var thumbprint: String?
        var isActive: Bool { thumbprint != nil || !tokens.isEmpty }
    }

    private let state = Mutex(State())
    private let active = Atomic<Bool>(false)

    public init() {}

    public func publish(token: String, keyAuthorization: String) {
        update { $0.tokens[token] = keyAuthorization }
    }

    public func remove(token: String) {
        update { $0.tokens[token] = nil }
    }

    public func setAccountThumbprint(_ thumbprint: String?) {
        update { $0.thumbprint = thumbprint }
    }

    private func update(_ change: (inout State) -> Void) {
        let isActive = state.withLock { state in
            change(&state)
            return state.isActive
        }
        active.store(isActive, ordering: .releasing)
    }

    /// The full response for a token, or nil (then the request is routed as usual).
    func response(token: UnsafeRawBufferPointer, close: Bool) -> [UInt8]? {
        guard active.load(ordering: .acquiring), Self.isToken(token) else { return nil }
        let key = String(decoding: token, as: UTF8.self)
        guard let value = state.withLock({ $0.tokens[key] ?? $0.thumbprint.map { key + "." + $0 } }) else { return nil }
        var out = Array("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nCache-Control: no-store\r\nContent-Length: \(value.utf8.count)\r\n".utf8)
        out += Array("Connection: \(close ? "close" : "keep-alive")\r\n\r\n\(value)".utf8)
        return out
    }

    /// RFC 8555 section 8.3: base64url characters only (the token is echoed in the answer).
    static func isToken(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard (1...256).contains(bytes.count) else { return false }
        return bytes.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
    }
}
