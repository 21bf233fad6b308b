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
    /// `X-Forwarded-Port` alone, for trusted hops that named the protocol themselves.
    let portBlock: [UInt8]

    /// What it was opened from, to match it against a reloaded configuration.
    let spec: ServerSettings.Listener

    init(fd: Int32, scheme: Scheme, port: Int, proxyProtocol: Bool, spec: ServerSettings.Listener) {
        self.fd = fd
        self.spec = spec
        self.proxyProtocol = proxyProtocol
        self.scheme = scheme
        self.port = port
        let proto = scheme == .https ? "https" : "http"
        self.protoAndPortBlock = Array("X-Forwarded-Proto: \(proto)\r\nX-Forwarded-Port: \(port)\r\n".utf8)
        self.portBlock = Array("X-Forwarded-Port: \(port)\r\n".utf8)
    }
}
