/// What a worker knows about one of its listening sockets.
struct ListenerContext {
    enum Scheme: Sendable { case http, https }
    let fd: Int32
    let scheme: Scheme
    let port: Int
    /// Connections must start with a PROXY protocol header (v1 or v2).
    let proxyProtocol: Bool
    /// `X-Forwarded-Proto` and `X-Forwarded-Port` lines, built once per listener.
    let protoAndPortBlock: [UInt8]

    init(fd: Int32, scheme: Scheme, port: Int, proxyProtocol: Bool) {
        self.fd = fd
        self.proxyProtocol = proxyProtocol
        self.scheme = scheme
        self.port = port
        let proto = scheme == .https ? "https" : "http"
        self.protoAndPortBlock = Array("X-Forwarded-Proto: \(proto)\r\nX-Forwarded-Port: \(port)\r\n".utf8)
    }
}
