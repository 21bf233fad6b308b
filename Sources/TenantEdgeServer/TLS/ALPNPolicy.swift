/// Which application protocols a TLS listener offers in ALPN.
public enum ALPNPolicy: Sendable {
    /// `h2` first, then `http/1.1`.
    case h2AndHTTP11
    case http11Only
    /// Only `acme-tls/1`: the context of a TLS-ALPN-01 challenge certificate (RFC 8737),
    /// switched to for a validation handshake and never used for HTTP.
    case acmeTLS1

    /// The server's list in ALPN wire format (length-prefixed names).
    var wireFormat: [UInt8] {
        switch self {
        case .h2AndHTTP11: return [2] + Array("h2".utf8) + [8] + Array("http/1.1".utf8)
        case .http11Only: return [8] + Array("http/1.1".utf8)
        case .acmeTLS1: return [10] + Array("acme-tls/1".utf8)
        }
    }
}
