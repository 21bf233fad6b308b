import Glibc
import TenantEdgeCore

/// The access log line of an HTTP/1.1 exchange, written when it ends (buffered per
/// worker, see AccessLogWriter). Sampling is decided first, so unsampled requests cost
/// one counter step.
extension Worker {
    func logExchange(_ client: ClientConnection) {
        guard client.exchange.startedAt > 0, accessLog != nil, accessLog!.shouldLog() else { return }
        // Fields are read in place: a copy of the exchange would share its buffers and
        // make the next request's reset copy them.
        let upstreamMicros = client.exchange.dispatchedAt > 0 && client.exchange.responseHeadAt > 0
            ? (client.exchange.responseHeadAt - client.exchange.dispatchedAt) * 1000 : -1
        var wall = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &wall)
        let millis = Int64(wall.tv_sec) * 1000 + Int64(wall.tv_nsec) / 1_000_000
        let bytesIn = client.bytesRead &- client.exchange.bytesReadAtStart
        let bytesOut = client.bytesWritten &- client.exchange.bytesWrittenAtStart
        let total = (now - client.exchange.startedAt) * 1000
        client.exchange.host.withUnsafeBytes { host in
            client.exchange.storeId.withUnsafeBytes { store in
                client.exchange.requestId.withUnsafeBytes { requestId in
                    accessLog!.append(AccessLogLine(
                        unixMilliseconds: millis, client: client.clientAddress, host: host, storeID: store,
                        outcome: client.exchange.outcome, status: client.exchange.status, bytesIn: bytesIn,
                        bytesOut: bytesOut, upstreamMicroseconds: upstreamMicros, totalMicroseconds: total,
                        requestID: requestId, worker: id))
                }
            }
        }
    }
}
