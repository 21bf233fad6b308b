/// The bulk of a route table: the indexes built in one pass from a full load (or a
/// compaction), shared unchanged by every `RouteTable` generation until the next full build.
///
/// Why a separate, shared object: rebuilding a million-host index per change batch takes
/// hundreds of milliseconds, so a change batch produces a new `RouteTable` that points at the
/// same base and carries only a small `RouteOverlay` of what changed since.
public final class RouteTableBase: Sendable {
    let policy: RoutingPolicy
    let stores: [StoreEntry]
    let hosts: ByteKeyIndex
    let slugs: ByteKeyIndex
    let storeIds: ByteKeyIndex
    let domainBytes: [[UInt8]]
    let domainNames: [String]
    let passthrough: ByteKeyIndex
    let upstreamNames: [String]
    let skipped: [SkippedRow]

    init(policy: RoutingPolicy, stores: [StoreEntry], hosts: ByteKeyIndex, slugs: ByteKeyIndex, storeIds: ByteKeyIndex,
         domainBytes: [[UInt8]], domainNames: [String], passthrough: ByteKeyIndex, upstreamNames: [String],
         skipped: [SkippedRow]) {
        self.policy = policy
        self.stores = stores
        self.hosts = hosts
        self.slugs = slugs
        self.storeIds = storeIds
        self.domainBytes = domainBytes
        self.domainNames = domainNames
        self.passthrough = passthrough
        self.upstreamNames = upstreamNames
        self.skipped = skipped
    }

    var memoryFootprint: Int {
        hosts.memoryFootprint + slugs.memoryFootprint + passthrough.memoryFootprint
    }
}
