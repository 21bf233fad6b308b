/// Which application protocols a TLS listener offers in ALPN.
public enum ALPNPolicy: Sendable {
    /// `h2` first, then `http/1.1`.
    case h2AndHTTP11
    case http11Only

    /// The server's list in ALPN wire format (length-prefixed names).
    var wireFormat: [UInt8] {
        switch self {
        case .h2AndHTTP11: return [2] + Array("h2".utf8) + [8] + Array("http/1.1".utf8)
        case .http11Only: return [8] + Array("http/1.1".utf8)
        }
    }
}
