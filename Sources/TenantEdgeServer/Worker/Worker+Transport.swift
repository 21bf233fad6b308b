import COpenSSL
import TenantEdgeCore

/// Client I/O, plain or TLS: the proxy phases call these and never care which.
extension Worker {
    func clientRead(_ client: ClientConnection, into buffer: UnsafeMutableRawBufferPointer) -> Socket.IOResult {
        let result: Socket.IOResult
        if let tls = client.tls {
            result = tls.read(into: buffer)
            if case .wouldBlock = result, tls.need == .write { client.writable = false }
        } else {
            result = Socket.read(client.fd, into: buffer)
            // A short read drained the socket: the next arrival raises a new edge, so the
            // read that would only say EAGAIN is skipped (as nginx does), unless the peer
            // hung up and its EOF is still to be read.
            if case .bytes(let n) = result, n < buffer.count, !client.hangup { client.readable = false }
        }
        if case .bytes(let n) = result {
            counters.add(.bytesIn, UInt64(n))
            client.bytesRead &+= UInt64(n)
        }
        return result
    }

    func clientWrite(_ client: ClientConnection, _ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) -> Socket.IOResult {
        let result = transportWrite(client, first, second)
        if case .bytes(let n) = result {
            counters.add(.bytesOut, UInt64(n))
            client.bytesWritten &+= UInt64(n)
        }
        return result
    }

    /// Reads exactly the PROXY protocol header (peeking first, so that what follows, a TLS
    /// ClientHello for instance, stays in the socket), then continues as the listener
    /// would without it. A connection without a valid header is closed: on these
    /// listeners the header is required, or anyone could claim any client address.
    func readProxyHeader(_ client: ClientConnection) -> Bool {
        guard client.readable else { return false }
        client.input.restoreStorage(from: &buffers)
        let space = client.input.prepareForRead()
        let window = UnsafeMutableRawBufferPointer(rebasing: space[0..<min(space.count, ProxyProtocolParser.maximumV2Length)])
        switch Socket.peek(client.fd, into: window) {
        case .bytes(let n):
            switch ProxyProtocolParser.parse(UnsafeRawBufferPointer(rebasing: window[0..<n])) {
            case .incomplete:
                if n >= window.count {
                    counters.add(.proxyProtocolRejections)
                    closeClient(client)
                    return false
                }
                // Wait for the rest; peeking again on the next readiness.
                client.readable = false
                return false
            case .invalid:
                counters.add(.proxyProtocolRejections)
                closeClient(client)
                return false
            case .complete(let consumed, let source):
                _ = Socket.read(client.fd, into: UnsafeMutableRawBufferPointer(rebasing: window[0..<consumed]))
                if let source {
                    client.clientAddress = source
                    client.rebuildForwardedBlock()
                }
                client.state = client.tls != nil ? .handshaking : .readingHead
                return true
            }
        case .wouldBlock:
            client.readable = false
            return false
        case .closed, .failed:
            closeClient(client)
            return false
        }
    }

    /// Writes `first` then `second`; fewer bytes than offered means the socket is full
    /// (callers then wait for writability). Over TLS the pieces are joined into records of
    /// up to 16 KiB and written until everything is out or OpenSSL would block, since a
    /// record-sized partial write says nothing about the socket.
    private func transportWrite(_ client: ClientConnection, _ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) -> Socket.IOResult {
        guard let tls = client.tls else { return Socket.write(client.fd, first, second) }
        var total = 0
        let firstCount = first.count
        let all = firstCount + second.count
        while total < all {
            let result: Socket.IOResult
            if total < firstCount && second.count > 0 && firstCount - total < tlsScratch.count {
                // Join the end of the head and the start of the body into one record.
                let headPart = firstCount - total
                let bodyPart = min(second.count, tlsScratch.count - headPart)
                let base = tlsScratch.baseAddress!
                base.copyMemory(from: first.baseAddress! + total, byteCount: headPart)
                (base + headPart).copyMemory(from: second.baseAddress!, byteCount: bodyPart)
                result = tls.write(UnsafeRawBufferPointer(start: base, count: headPart + bodyPart))
            } else if total < firstCount {
                result = tls.write(UnsafeRawBufferPointer(rebasing: first[total...]))
            } else {
                result = tls.write(UnsafeRawBufferPointer(rebasing: second[(total - firstCount)...]))
            }
            switch result {
            case .bytes(let n):
                total += n
            case .wouldBlock:
                if tls.need == .read { client.readable = false }
                return total > 0 ? .bytes(total) : result
            case .closed, .failed:
                return total > 0 ? .bytes(total) : result
            }
        }
        return .bytes(total)
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
            switch tls.negotiated {
            case .h2: return h2Begin(client)
            case .http11:
                client.state = .readingHead
                return true
            case .acmeTLS1:
                // RFC 8737 section 3: the validation ends with the handshake; no HTTP follows.
                tls.shutdown()
                closeClient(client)
                return false
            }
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
