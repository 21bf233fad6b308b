/// One backend address as one worker sees it: its idle connections and its health.
///
/// Per worker, so health marking and the idle pool need no lock. The idle pool has no
/// fixed cap, only an idle timeout: a cap below peak concurrency turns into a connect
/// and close per request (measured, shared/anchors/README.md).
final class UpstreamServer {
    let address: SocketAddress
    var idle: [UpstreamConnection] = []
    /// Passive failure marking: after a connect failure the server is skipped until then.
    var downUntil: Int64 = 0
    var consecutiveFailures = 0

    init(address: SocketAddress) {
        self.address = address
    }

    func markFailure(now: Int64) {
        consecutiveFailures += 1
        let backoff = min(Int64(1_000) << Int64(min(consecutiveFailures - 1, 4)), 10_000)
        downUntil = now + backoff
    }

    func markSuccess() {
        consecutiveFailures = 0
        downUntil = 0
    }

    /// The most recently used idle connection (warmest), skipping ones closed meanwhile.
    func takeIdle() -> UpstreamConnection? {
        while let connection = idle.popLast() {
            if !connection.closed { return connection }
        }
        return nil
    }
}
