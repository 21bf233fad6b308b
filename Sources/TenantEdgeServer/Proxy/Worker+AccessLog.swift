import Glibc
import TenantEdgeCore

/// The access log line of an HTTP/1.1 exchange, written when it ends (buffered per
/// worker, see AccessLogWriter). Sampling is decided first, so unsampled requests cost
/// one counter step.
extension Worker {
    func logExchange(_ client: ClientConnection) {
        guard client.exchange.startedAt > 0, accessLog != nil, accessLog!.shouldLog() else { return }
        let exchange = client.exchange
        let upstreamMicros = exchange.dispatchedAt > 0 && exchange.responseHeadAt > 0
            ? (exchange.responseHeadAt - exchange.dispatchedAt) * 1000 : -1
        var wall = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &wall)
        exchange.host.withUnsafeBytes { host in
            exchange.storeId.withUnsafeBytes { store in
                exchange.requestId.withUnsafeBytes { requestId in
                    accessLog!.append(AccessLogLine(
                        unixMilliseconds: Int64(wall.tv_sec) * 1000 + Int64(wall.tv_nsec) / 1_000_000,
                        client: client.clientAddress, host: host, storeID: store, outcome: exchange.outcome,
                        status: exchange.status, bytesIn: client.bytesRead &- exchange.bytesReadAtStart,
                        bytesOut: client.bytesWritten &- exchange.bytesWrittenAtStart,
                        upstreamMicroseconds: upstreamMicros, totalMicroseconds: (now - exchange.startedAt) * 1000,
                        requestID: requestId, worker: id))
                }
            }
        }
    }
}
