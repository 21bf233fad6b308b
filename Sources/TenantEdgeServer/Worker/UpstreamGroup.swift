/// The servers of one configured upstream, chosen round-robin, skipping those marked down.
final class UpstreamGroup {
    let name: String
    let servers: [UpstreamServer]
    private var next = 0

    init(name: String, addresses: [SocketAddress]) {
        self.name = name
        self.servers = addresses.map(UpstreamServer.init(address:))
    }

    /// A server to use now: the next healthy one; if all are marked down, the one whose
    /// mark ends first (a dead group still gets probed rather than failing forever).
    func pick(now: Int64) -> UpstreamServer {
        let count = servers.count
        for offset in 0..<count {
            let server = servers[(next + offset) % count]
            if server.downUntil <= now {
                next = (next + offset + 1) % count
                return server
            }
        }
        return servers.min(by: { $0.downUntil < $1.downUntil })!
    }
}
