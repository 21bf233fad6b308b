import Glibc
import TenantEdgeCore

/// Access log lines: one per HTTP/1.1 exchange, written when it ends, and one per HTTP/2
/// stream, written when it closes (buffered per worker, see AccessLogWriter). Sampling is
/// decided first, so unsampled requests cost one counter step.
extension Worker {
    func logExchange(_ client: ClientConnection) {
        guard client.exchange.startedAt > 0, accessLog != nil, accessLog!.shouldLog() else { return }
        // Fields are read in place: a copy of the exchange would share its buffers and
        // make the next request's reset copy them.
        let upstreamMicros = client.exchange.dispatchedAt > 0 && client.exchange.responseHeadAt > 0
            ? (client.exchange.responseHeadAt - client.exchange.dispatchedAt) * 1000 : -1
        let bytesIn = client.bytesRead &- client.exchange.bytesReadAtStart
        let bytesOut = client.bytesWritten &- client.exchange.bytesWrittenAtStart
        let total = (now - client.exchange.startedAt) * 1000
        let millis = Self.wallClockMilliseconds()
        client.exchange.host.withUnsafeBytes { host in
            client.exchange.storeId.withUnsafeBytes { store in
                client.exchange.requestId.withUnsafeBytes { requestId in
                    accessLog!.append(AccessLogLine(
                        unixMilliseconds: millis, client: client.clientAddress,
                        version: client.exchange.http10 ? .http10 : .http11, host: host, storeID: store,
                        outcome: client.exchange.outcome, status: client.exchange.status, bytesIn: bytesIn,
                        bytesOut: bytesOut, upstreamMicroseconds: upstreamMicros, totalMicroseconds: total,
                        requestID: requestId, worker: id))
                }
            }
        }
    }

    /// The line of an HTTP/2 stream. The host and request id are rebuilt into the worker's
    /// scratch buffers (see StreamAccessRecord), so a sampled stream allocates nothing.
    func logStream(_ stream: H2Stream) {
        guard stream.startedAt > 0, accessLog != nil, accessLog!.shouldLog() else { return }
        let record = stream.record
        var isIPLiteral = false
        let invalid = stream.head.withRoutingHost {
            HostNormalizer.normalize($0, into: &hostScratch, isIPLiteral: &isIPLiteral)
        }
        if invalid != nil { hostScratch.removeAll(keepingCapacity: true) }
        if record.requestNumber > 0 {
            formatRequestId(record.requestNumber, into: &requestIdScratch)
        } else {
            requestIdScratch.removeAll(keepingCapacity: true)
        }
        let upstreamMicros = record.dispatchedAt > 0 && record.responseHeadAt > 0
            ? (record.responseHeadAt - record.dispatchedAt) * 1000 : -1
        let total = (now - stream.startedAt) * 1000
        let millis = Self.wallClockMilliseconds()
        let client = stream.session.client.clientAddress
        hostScratch.withUnsafeBytes { host in
            record.storeId.withUnsafeBytes { store in
                requestIdScratch.withUnsafeBytes { requestId in
                    accessLog!.append(AccessLogLine(
                        unixMilliseconds: millis, client: client, version: .http2, host: host, storeID: store,
                        outcome: record.outcome, status: record.status, bytesIn: record.bytesIn,
                        bytesOut: record.bytesOut, upstreamMicroseconds: upstreamMicros, totalMicroseconds: total,
                        requestID: requestId, worker: id))
                }
            }
        }
    }

    /// `<worker prefix>-<number in hex>`, the `X-Request-Id` this worker gives request
    /// `number`, into `out` (its capacity is kept).
    func formatRequestId(_ number: UInt64, into out: inout [UInt8]) {
        if !out.isEmpty { out.removeAll(keepingCapacity: true) }
        out.append(contentsOf: requestIdPrefix)
        // Hex digits on the stack, appended once (one append per digit cost a uniqueness and
        // capacity check each, on every request).
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { text in
            var length = 0
            var started = false
            for shift in stride(from: 60, through: 0, by: -4) {
                let digit = UInt8(truncatingIfNeeded: (number >> UInt64(shift)) & 0xF)
                if digit != 0 || started || shift == 0 {
                    text[length] = digit < 10 ? 0x30 + digit : 0x57 + digit  // 0-9, a-f
                    length += 1
                    started = true
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: text[..<length]))
        }
    }

    private static func wallClockMilliseconds() -> Int64 {
        var wall = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &wall)
        return Int64(wall.tv_sec) * 1000 + Int64(wall.tv_nsec) / 1_000_000
    }
}

