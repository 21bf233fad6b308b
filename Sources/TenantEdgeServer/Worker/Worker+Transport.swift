import COpenSSL
import TenantEdgeCore

/// Client I/O, plain or TLS: the proxy phases call these and never care which.
extension Worker {
    func clientRead(_ client: ClientConnection, into buffer: UnsafeMutableRawBufferPointer) -> Socket.IOResult {
        guard let tls = client.tls else { return Socket.read(client.fd, into: buffer) }
        let result = tls.read(into: buffer)
        if case .wouldBlock = result, tls.need == .write { client.writable = false }
        return result
    }

    /// Writes `first` then `second`. Over TLS both are joined into one record when they
    /// fit (one syscall, one record, as `writev` does for plain sockets).
    func clientWrite(_ client: ClientConnection, _ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) -> Socket.IOResult {
        guard let tls = client.tls else { return Socket.write(client.fd, first, second) }
        let result: Socket.IOResult
        if first.isEmpty {
            result = tls.write(second)
        } else if second.isEmpty {
            result = tls.write(first)
        } else {
            let take = min(second.count, max(0, tlsScratch.count - first.count))
            if take == 0 {
                result = tls.write(first)
            } else {
                let base = tlsScratch.baseAddress!
                base.copyMemory(from: first.baseAddress!, byteCount: first.count)
                (base + first.count).copyMemory(from: second.baseAddress!, byteCount: take)
                result = tls.write(UnsafeRawBufferPointer(start: base, count: first.count + take))
            }
        }
        if case .wouldBlock = result, tls.need == .read { client.readable = false }
        return result
    }

    /// Readiness after an event: a TLS operation that waited for the other direction
    /// becomes possible again when that direction turns ready.
    func noteReadiness(_ client: ClientConnection, readable: Bool, writable: Bool) {
        if readable { client.readable = true }
        if writable { client.writable = true }
        if let tls = client.tls {
            if writable && tls.need == .write { client.readable = true }
            if readable && tls.need == .read { client.writable = true }
        }
    }

    /// Completes the TLS handshake, then hands the connection to HTTP/1.1.
    func handshake(_ client: ClientConnection) -> Bool {
        guard let tls = client.tls else {
            client.state = .readingHead
            return true
        }
        switch tls.handshake() {
        case .done:
            if let name = tls.serverName {
                var normalized: [UInt8] = []
                var isIPLiteral = false
                if HostNormalizer.normalize(name, into: &normalized, isIPLiteral: &isIPLiteral) == nil && !isIPLiteral {
                    client.serverName = normalized
                }
            }
            counters.add(.tlsHandshakes)
            client.state = .readingHead
            return true
        case .wouldBlock:
            if tls.need == .read { client.readable = false } else { client.writable = false }
            return false
        case .failed:
            counters.add(.tlsHandshakeFailures)
            closeClient(client)
            return false
        }
    }

    /// Host and SNI naming two different stores is a request meant for another origin
    /// on a reused connection (RFC 9110 section 15.5.20): 421, never the other store.
    /// The same store under two names (one wildcard certificate) is fine.
    func isMisdirected(_ client: ClientConnection, hostResolution: RouteResolution) -> Bool {
        guard let serverName = client.serverName, hostResolution.storeIndex >= 0 else { return false }
        if serverName.elementsEqual(hostScratch) { return false }
        let sniResolution = serverName.withUnsafeBytes { table.resolve($0, isIPLiteral: false) }
        return sniResolution.storeIndex >= 0 && sniResolution.storeIndex != hostResolution.storeIndex
    }
}
