/// The outcome of feeding `ProxyProtocolParser` the bytes received so far on a connection.
public enum ProxyProtocolResult: Sendable, Equatable {
    /// Not enough bytes to decide: read more and parse again from the same start.
    case incomplete
    /// A valid header of `consumed` bytes; the request starts right after it. `source` is the
    /// client the load balancer saw, or nil when the header says to use the real peer (v2
    /// LOCAL health checks, v1 UNKNOWN, v2 UNSPEC or UNIX).
    case complete(consumed: Int, source: ClientAddress?)
    /// Not a valid header: the listener requires one, so close the connection.
    case invalid(ProxyProtocolError)
}
