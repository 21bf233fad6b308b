/// The `host_kind` claim of the tenant-context token: backends treat a store's own domain
/// differently from `<slug>.<platform domain>` (cookies, canonical redirects).
public enum HostKind: String, Sendable, Equatable, Hashable {
    case custom
    case platform
}
