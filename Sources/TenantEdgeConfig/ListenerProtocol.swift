/// What a listener speaks on accept; `https` terminates TLS with the `tls` section's certificates.
public enum ListenerProtocol: String, Sendable, CaseIterable {
    case http
    case https
}
