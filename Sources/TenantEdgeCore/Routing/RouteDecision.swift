/// What the proxy does with a request once its host is resolved: the one place where a
/// resolution and a store's availability turn into forward / pass through / answer.
public enum RouteDecision: Sendable, Equatable {
    /// Forward to the default upstream with tenant context for `RouteTable.store(storeIndex)`.
    case forward(storeIndex: Int32)
    /// Forward to the named upstream without tenant context (the platform's own hosts).
    case passthrough(upstream: String)
    /// Answer with a pre-rendered error page.
    case respond(ErrorKind)

    /// No allocation: the upstream name is a stored string.
    public static func decide(_ resolution: RouteResolution, in table: RouteTable) -> RouteDecision {
        switch resolution.rule {
        case .exact, .platformWildcard:
            if let error = table.availability(resolution.storeIndex).errorKind { return .respond(error) }
            return .forward(storeIndex: resolution.storeIndex)
        case .passthrough:
            guard let upstream = resolution.upstream else { return .respond(.notFound) }
            return .passthrough(upstream: upstream)
        case .notFound:
            return .respond(.notFound)
        }
    }
}
