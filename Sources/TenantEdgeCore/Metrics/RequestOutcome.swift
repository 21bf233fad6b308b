/// What the proxy did with a request, as metrics label it and the access log names it:
/// one list so `tenant_edge_requests_by_decision_total{decision=...}` and the log's
/// `decision` field always agree.
public enum RequestOutcome: UInt8, Sendable, CaseIterable, Hashable {
    /// Forwarded to the default upstream with tenant context.
    case forwarded
    /// Forwarded to a passthrough upstream without tenant context.
    case passthrough
    /// No store for the host (404).
    case notFound
    /// Store still provisioning (503 with Retry-After).
    case provisioning
    /// Store suspended, not active or of unknown status (503).
    case inactive
    /// Store closed for good (410).
    case closed
    /// Malformed or over-limit request (400, 408, 414, 431, 501, 505).
    case badRequest
    /// Host and TLS SNI name different stores (421).
    case misdirected
    /// The configured `health_path` on a traffic port.
    case health
    /// Redirected to https (`routing.redirect_http_to_https`).
    case redirect
    /// Answered with an error of the proxy's own (500, or 503 while draining).
    case error

    /// The label value and log text; stable, since dashboards and alerts select on it.
    public var name: String {
        switch self {
        case .forwarded: "forwarded"
        case .passthrough: "passthrough"
        case .notFound: "not_found"
        case .provisioning: "provisioning"
        case .inactive: "inactive"
        case .closed: "closed"
        case .badRequest: "bad_request"
        case .misdirected: "misdirected"
        case .health: "health"
        case .redirect: "redirect"
        case .error: "error"
        }
    }

    /// The outcome of a routing decision, before any upstream exchange.
    public init(_ decision: RouteDecision) {
        switch decision {
        case .forward: self = .forwarded
        case .passthrough: self = .passthrough
        case .respond(let kind): self = RequestOutcome(kind)
        }
    }

    /// The outcome of answering with `kind` instead of forwarding.
    public init(_ kind: ErrorKind) {
        switch kind {
        case .notFound: self = .notFound
        case .provisioning: self = .provisioning
        case .inactive: self = .inactive
        case .closed: self = .closed
        case .badRequest, .requestTimeout, .uriTooLong, .headersTooLarge, .notImplemented, .versionNotSupported:
            self = .badRequest
        case .misdirected: self = .misdirected
        case .internalError, .badGateway, .serviceUnavailable, .gatewayTimeout: self = .error
        }
    }
}
