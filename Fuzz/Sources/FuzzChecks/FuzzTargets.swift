/// Every fuzz target by the name `scripts/fuzz` and the corpus folders use.
public enum FuzzTargets {
    public static let all: [(name: String, run: @Sendable (UnsafeRawBufferPointer) -> Void)] = [
        ("http1", HTTP1Check.run),
        ("chunked", ChunkedCheck.run),
        ("host", HostCheck.run),
        ("proxy-protocol", ProxyProtocolCheck.run),
        ("config", ConfigCheck.run),
        ("route-rows", RouteRowsCheck.run),
    ]

    public static func named(_ name: String) -> (@Sendable (UnsafeRawBufferPointer) -> Void)? {
        all.first { $0.name == name }?.run
    }
}
