import TenantContext
import TenantEdgeCore

/// Per-worker cache of the header lines a forwarded request gets for its store:
/// `X-Tenant-Context`, `X-Store-Id`, `X-Store-Slug`.
///
/// Signing costs microseconds and a few allocations; a store's host sees many requests
/// per token lifetime, so tokens are signed once per (route, key) and re-signed when half
/// their lifetime is gone (DESIGN.md section 6: signing stays off the per-request cost).
/// Per worker, so no lock; keyed by the route table's `routeKey`, and emptied when the
/// table generation changes because route keys are only stable within one generation.
struct TenantHeaderCache {
    private struct Entry {
        var block: [UInt8]
        var refreshAt: Int64
    }

    private var entries: [Int: Entry] = [:]
    private var generation: UInt64 = .max
    private var signer: TenantContextSigner
    private let refreshAfter: Int64
    /// Bound on memory when a worker sees very many distinct hosts.
    private let maxEntries = 200_000

    init(signer: TenantContextSigner, ttlSeconds: Int) {
        self.signer = signer
        self.refreshAfter = Int64(max(1, ttlSeconds / 2))
    }

    mutating func replaceSigner(_ signer: TenantContextSigner) {
        self.signer = signer
        entries.removeAll(keepingCapacity: true)
    }

    /// Appends the tenant header lines for `resolution` to `out`.
    mutating func append(
        to out: inout [UInt8], resolution: RouteResolution, table: RouteTable,
        host: UnsafeRawBufferPointer, nowSeconds: Int64
    ) {
        if table.generation != generation {
            entries.removeAll(keepingCapacity: true)
            generation = table.generation
        }
        let key = resolution.routeKey
        if let entry = entries[key], entry.refreshAt > nowSeconds {
            entry.block.withUnsafeBytes { out.append(contentsOf: $0) }
            return
        }
        let block = makeBlock(resolution: resolution, table: table, host: host, nowSeconds: nowSeconds)
        if entries.count >= maxEntries { entries.removeAll(keepingCapacity: true) }
        entries[key] = Entry(block: block, refreshAt: nowSeconds + refreshAfter)
        out.append(contentsOf: block)
    }

    private func makeBlock(
        resolution: RouteResolution, table: RouteTable, host: UnsafeRawBufferPointer, nowSeconds: Int64
    ) -> [UInt8] {
        let store = table.store(resolution.storeIndex)
        let hostString = String(decoding: host, as: UTF8.self)
        let token = signer.sign(
            storeId: store.id, slug: store.slug, host: hostString,
            hostKind: resolution.hostKind.rawValue, status: store.status, now: nowSeconds)
        var block: [UInt8] = []
        block.reserveCapacity(token.utf8.count + 128)
        block.append(contentsOf: "X-Tenant-Context: ".utf8)
        block.append(contentsOf: token.utf8)
        block.append(contentsOf: "\r\nX-Store-Id: ".utf8)
        block.append(contentsOf: store.idBytes)
        block.append(contentsOf: "\r\nX-Store-Slug: ".utf8)
        block.append(contentsOf: store.slugBytes)
        block.append(contentsOf: "\r\n".utf8)
        return block
    }
}
