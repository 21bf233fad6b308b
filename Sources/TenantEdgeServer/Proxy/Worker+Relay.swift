import TenantEdgeCore

/// Phase 5 and 6: relaying a request body to the upstream and its response back.
///
/// Bytes are never copied between connections: a body is written to the peer straight
/// from the buffer it was read into, so memory per connection is two fixed buffers
/// whatever the body size, and a slow reader stops the reads on the other side
/// (backpressure): nothing is read while the buffer it would go into is still full.
extension Worker {
    func relay(_ client: ClientConnection) -> Bool {
        guard let upstream = client.upstream else {
            closeClient(client)
            return false
        }
        var progressed = false
        if !upstream.connected {
            guard upstream.writable else { return false }
            let error = Socket.pendingError(upstream.fd)
            guard error == 0 else {
                upstream.server.markFailure(now: now)
                counters.add(.upstreamConnectErrors)
                logger.warning("upstream connect failed", metadata: ["server": "\(upstream.server.address)", "errno": "\(error)"])
                failBeforeResponse(client, kind: .badGateway)
                return true
            }
            upstream.connected = true
            upstream.server.markSuccess()
            client.deadline = requestWaitDeadline(client)
            progressed = true
        }
        if sendRequest(client, upstream) { progressed = true }
        guard client.state == .proxying, client.upstream === upstream else { return true }
        if readRequestBody(client) { progressed = true }
        guard client.state == .proxying, client.upstream === upstream else { return true }
        if relayResponse(client, upstream) { progressed = true }
        return progressed
    }

    // MARK: request → upstream

    /// The deadline while no response has started. Until the whole request is in, the
    /// client is the side that can stall, so `body_idle` from its last byte applies (a
    /// body trickled or stopped must not hold the connection for `upstream_header`);
    /// the wait for the response head starts once the request is complete.
    func requestWaitDeadline(_ client: ClientConnection) -> Int64 {
        now + (client.exchange.requestComplete ? settings.timeouts.upstreamHeader : settings.timeouts.bodyIdle)
    }

    private func sendRequest(_ client: ClientConnection, _ upstream: UpstreamConnection) -> Bool {
        let headLeft = client.exchange.head.count - client.exchange.headSent
        let bodyLeft = client.exchange.requestPending
        guard headLeft > 0 || bodyLeft > 0, upstream.writable else { return false }
        let result = client.exchange.head.withUnsafeBytes { head in
            Socket.write(
                upstream.fd,
                UnsafeRawBufferPointer(rebasing: head[client.exchange.headSent...]),
                UnsafeRawBufferPointer(start: client.input.readable.baseAddress, count: bodyLeft))
        }
        switch result {
        case .bytes(let n):
            let fromHead = min(n, headLeft)
            client.exchange.headSent += fromHead
            let fromBody = n - fromHead
            if fromBody > 0 {
                client.input.consume(fromBody)
                client.exchange.requestPending -= fromBody
            }
            if n < headLeft + bodyLeft { upstream.writable = false }
            return n > 0
        case .wouldBlock:
            upstream.writable = false
            return false
        case .closed, .failed:
            upstreamBroke(client, upstream)
            return true
        }
    }

    private func readRequestBody(_ client: ClientConnection) -> Bool {
        guard !client.exchange.requestComplete, client.readable else { return false }
        client.input.restoreStorage(from: &buffers)
        let space = client.input.prepareForRead()
        guard space.count > 0 else { return false }
        switch clientRead(client, into: space) {
        case .bytes(let n):
            client.input.didWrite(n)
            guard identifyRequestBody(client) else { return true }   // answered or closed
            if client.exchange.responseHeadDone || client.exchange.responseStarted {
                client.deadline = max(client.deadline, now + settings.timeouts.bodyIdle)
            } else {
                client.deadline = requestWaitDeadline(client)
            }
            return true
        case .wouldBlock:
            client.readable = false
            return false
        case .closed, .failed:
            closeClient(client)   // the client gave up mid-request: nothing to answer
            return false
        }
    }

    /// Marks newly received client bytes as request body, validating chunked framing.
    /// Returns false if the body is malformed (then the client has been answered).
    @discardableResult
    func identifyRequestBody(_ client: ClientConnection) -> Bool {
        guard !client.exchange.requestComplete else { return true }
        let unmarked = client.input.readableCount - client.exchange.requestPending
        guard unmarked > 0 else { return true }
        switch client.exchange.requestFraming {
        case .contentLength:
            let take = Int(min(UInt64(unmarked), client.exchange.requestRemaining))
            client.exchange.requestPending += take
            client.exchange.requestRemaining -= UInt64(take)
            client.exchange.requestComplete = client.exchange.requestRemaining == 0
        case .chunked:
            let bytes = UnsafeRawBufferPointer(rebasing: client.input.readable[client.exchange.requestPending...])
            switch client.exchange.requestScanner.scan(bytes) {
            case .needMore:
                client.exchange.requestPending += unmarked
            case .done(let consumed):
                client.exchange.requestPending += consumed
                client.exchange.requestComplete = true
            case .error:
                // Part of the request may be upstream already: that connection is spoiled.
                if client.exchange.responseStarted {
                    closeClient(client)
                } else {
                    client.exchange.requestComplete = false
                    failBeforeResponse(client, kind: .badRequest)
                }
                return false
            }
        case .none, .untilClose:
            client.exchange.requestComplete = true
        }
        return true
    }

    // MARK: upstream → client

    private func relayResponse(_ client: ClientConnection, _ upstream: UpstreamConnection) -> Bool {
        var progressed = false
        if !client.exchange.responseHeadDone && !upstream.input.isEmpty {
            switch parseResponseHead(client, upstream) {
            case .progressed: progressed = true
            case .waiting: break
            case .finished: return true
            }
        }
        if client.exchange.responseHeadDone {
            identifyResponseBody(client, upstream)
            guard client.state == .proxying else { return true }
        }

        if client.hasPendingOutput || client.exchange.responsePending > 0, client.writable {
            let bodyLeft = client.exchange.responsePending
            let result = client.output.withUnsafeBytes { out in
                clientWrite(
                    client, UnsafeRawBufferPointer(rebasing: out[client.outputSent...]),
                    UnsafeRawBufferPointer(start: upstream.input.readable.baseAddress, count: bodyLeft))
            }
            switch result {
            case .bytes(let n):
                let headLeft = client.output.count - client.outputSent
                let fromHead = min(n, headLeft)
                client.outputSent += fromHead
                let fromBody = n - fromHead
                if fromBody > 0 {
                    upstream.input.consume(fromBody)
                    client.exchange.responsePending -= fromBody
                }
                if !client.hasPendingOutput {
                    client.output.removeAll(keepingCapacity: true)
                    client.outputSent = 0
                }
                if n < headLeft + bodyLeft { client.writable = false }
                client.deadline = now + settings.timeouts.bodyIdle
                progressed = true
            case .wouldBlock:
                client.writable = false
            case .closed, .failed:
                closeClient(client)
                return false
            }
        }

        if client.exchange.responseHeadDone && !client.hasPendingOutput && client.exchange.responsePending == 0 {
            if client.exchange.responseStatus == 101 {
                client.state = .tunnel
                client.tunnelOpen = true
                counters.add(.tunnelsOpened)
                client.deadline = now + settings.timeouts.bodyIdle
                return true
            }
            if client.exchange.responseComplete {
                finishExchange(client, upstream)
                return true
            }
        }

        let wantsBytes = !client.exchange.responseHeadDone || !client.exchange.responseComplete
        if wantsBytes && upstream.readable {
            let space = upstream.input.prepareForRead()
            if space.count > 0 {
                switch Socket.read(upstream.fd, into: space) {
                case .bytes(let n):
                    upstream.input.didWrite(n)
                    upstream.noteRead(n, offered: space.count)
                    client.exchange.responseStarted = true
                    progressed = true
                case .wouldBlock:
                    upstream.readable = false
                case .closed:
                    upstreamEnded(client, upstream)
                    return true
                case .failed:
                    upstreamBroke(client, upstream)
                    return true
                }
            }
        }
        return progressed
    }

    private enum HeadStep { case progressed, waiting, finished }

    private func parseResponseHead(_ client: ClientConnection, _ upstream: UpstreamConnection) -> HeadStep {
        switch client.exchange.responseParser.parse(upstream.input.readable, requestMethod: client.exchange.method) {
        case .incomplete:
            if upstream.input.readableCount >= upstream.input.capacity {
                logger.warning("upstream response head too large", metadata: ["server": "\(upstream.server.address)"])
                failBeforeResponse(client, kind: .badGateway)
                return .finished
            }
            return .waiting
        case .error:
            logger.warning("malformed upstream response", metadata: ["server": "\(upstream.server.address)"])
            failBeforeResponse(client, kind: .badGateway)
            return .finished
        case .complete:
            break
        }
        let head = client.exchange.responseParser.head
        let headBytes = UnsafeRawBufferPointer(rebasing: upstream.input.readable[..<head.headLength])
        if head.status >= 100 && head.status < 200 && head.status != 101 {
            // Interim responses (100 Continue, 103 Early Hints) pass through as they are.
            client.output.append(contentsOf: headBytes)
            upstream.input.consume(head.headLength)
            client.exchange.responseParser.reset()
            return .progressed
        }
        if head.status == 101 && !client.exchange.upgrade {
            failBeforeResponse(client, kind: .badGateway)
            return .finished
        }
        let closeClient = !client.exchange.keepAlive || head.framing == .untilClose || draining
        client.closeAfterResponse = closeClient
        ResponseHeadWriter.write(
            client.exchange.responseParser, from: headBytes, closeClient: closeClient,
            announceKeepAlive: client.exchange.http10, into: &client.output)
        upstream.input.consume(head.headLength)
        countStatus(head.status)
        client.exchange.status = head.status
        client.exchange.responseHeadAt = now
        client.exchange.responseHeadDone = true
        client.exchange.responseStatus = head.status
        client.exchange.upstreamKeepAlive = head.keepAlive && head.status != 101
        client.exchange.responseFraming = head.framing
        switch head.framing {
        case .none:
            client.exchange.responseComplete = true
        case .contentLength(let length):
            client.exchange.responseRemaining = length
            client.exchange.responseComplete = length == 0
        case .chunked, .untilClose:
            client.exchange.responseComplete = false
        }
        if head.status == 101 { client.exchange.responseComplete = true }
        client.deadline = now + settings.timeouts.bodyIdle
        return .progressed
    }

    private func identifyResponseBody(_ client: ClientConnection, _ upstream: UpstreamConnection) {
        guard !client.exchange.responseComplete || client.exchange.responseStatus == 101 else { return }
        if client.exchange.responseStatus == 101 { return }
        let unmarked = upstream.input.readableCount - client.exchange.responsePending
        guard unmarked > 0 else { return }
        switch client.exchange.responseFraming {
        case .contentLength:
            let take = Int(min(UInt64(unmarked), client.exchange.responseRemaining))
            client.exchange.responsePending += take
            client.exchange.responseRemaining -= UInt64(take)
            client.exchange.responseComplete = client.exchange.responseRemaining == 0
        case .chunked:
            let bytes = UnsafeRawBufferPointer(rebasing: upstream.input.readable[client.exchange.responsePending...])
            switch client.exchange.responseScanner.scan(bytes) {
            case .needMore:
                client.exchange.responsePending += unmarked
            case .done(let consumed):
                client.exchange.responsePending += consumed
                client.exchange.responseComplete = true
            case .error:
                // The client has part of a response we cannot finish correctly.
                logger.warning("malformed chunked response", metadata: ["server": "\(upstream.server.address)"])
                client.closeAfterResponse = true
                client.exchange.upstreamKeepAlive = false
                client.exchange.responseComplete = true
                closeUpstreamOf(client)
                closeClient(client)
            }
        case .untilClose:
            client.exchange.responsePending += unmarked
        case .none:
            client.exchange.responseComplete = true
        }
    }

    private func closeUpstreamOf(_ client: ClientConnection) {
        if let upstream = client.upstream {
            client.upstream = nil
            closeUpstream(upstream)
        }
    }

    /// The upstream closed its side.
    private func upstreamEnded(_ client: ClientConnection, _ upstream: UpstreamConnection) {
        upstream.readable = false
        if client.exchange.responseHeadDone && client.exchange.responseFraming == .untilClose {
            client.exchange.responseComplete = true
            client.exchange.upstreamKeepAlive = false
            process(client)
            return
        }
        upstreamBroke(client, upstream)
    }

    /// The upstream failed (reset, write error, early close) during an exchange.
    private func upstreamBroke(_ client: ClientConnection, _ upstream: UpstreamConnection) {
        let responseStarted = client.exchange.responseStarted
        let responseHeadDone = client.exchange.responseHeadDone
        if !responseStarted || (!responseHeadDone && upstream.input.isEmpty) {
            // Nothing reached the client. A reused connection closed by the backend just as
            // we wrote to it is retried once on a new one when repeating is safe.
            let safeToRepeat = client.exchange.method.isIdempotent && client.exchange.requestFraming == .none
            if upstream.reused && !client.exchange.retried && safeToRepeat && !responseStarted {
                client.upstream = nil
                closeUpstream(upstream)
                client.exchange.retried = true
                client.exchange.headSent = 0
                client.exchange.responseParser.reset()
                counters.add(.upstreamRetries)
                dispatch(client, forceNew: true)
                return
            }
            failBeforeResponse(client, kind: .badGateway)
            return
        }
        if !responseHeadDone {
            failBeforeResponse(client, kind: .badGateway)
            return
        }
        // Mid-body: the client cannot be told; closing is the only honest signal.
        closeClient(client)
    }

    private func finishExchange(_ client: ClientConnection, _ upstream: UpstreamConnection) {
        // Fields are read one by one: a copy of the whole exchange would share its buffers
        // and make the next request's reset copy them.
        let requestComplete = client.exchange.requestComplete
        let reusable = client.exchange.upstreamKeepAlive && requestComplete && client.exchange.requestPending == 0
            && upstream.input.isEmpty && client.exchange.headSent == client.exchange.head.count
        client.upstream = nil
        upstream.client = nil
        releaseUpstream(upstream, reusable: reusable)
        if client.closeAfterResponse || !requestComplete || !client.exchange.keepAlive || draining {
            logExchange(client)
            lingerAndClose(client)
        } else {
            nextRequest(client)
        }
    }

    // MARK: 101 Switching Protocols

    /// Raw bytes both ways after an upgrade; each side's EOF is passed on as a half-close.
    func tunnel(_ client: ClientConnection) -> Bool {
        guard let upstream = client.upstream else {
            closeClient(client)
            return false
        }
        var progressed = false
        if !client.input.isEmpty && upstream.writable {
            switch Socket.write(upstream.fd, client.input.readable, UnsafeRawBufferPointer(start: nil, count: 0)) {
            case .bytes(let n):
                client.input.consume(n)
                progressed = n > 0
                if !client.input.isEmpty { upstream.writable = false }
            case .wouldBlock: upstream.writable = false
            case .closed, .failed:
                closeClient(client)
                return false
            }
        }
        if !upstream.input.isEmpty && client.writable {
            switch clientWrite(client, upstream.input.readable, UnsafeRawBufferPointer(start: nil, count: 0)) {
            case .bytes(let n):
                upstream.input.consume(n)
                progressed = progressed || n > 0
                if !upstream.input.isEmpty { client.writable = false }
            case .wouldBlock: client.writable = false
            case .closed, .failed:
                closeClient(client)
                return false
            }
        }
        if client.readable && client.input.isEmpty {
            client.input.restoreStorage(from: &buffers)
            switch clientRead(client, into: client.input.prepareForRead()) {
            case .bytes(let n):
                client.input.didWrite(n)
                progressed = true
            case .wouldBlock: client.readable = false
            case .closed, .failed:
                closeClient(client)
                return false
            }
        }
        if upstream.readable && upstream.input.isEmpty {
            let space = upstream.input.prepareForRead()
            switch Socket.read(upstream.fd, into: space) {
            case .bytes(let n):
                upstream.input.didWrite(n)
                upstream.noteRead(n, offered: space.count)
                progressed = true
            case .wouldBlock: upstream.readable = false
            case .closed, .failed:
                closeClient(client)
                return false
            }
        }
        if progressed { client.deadline = now + settings.timeouts.bodyIdle }
        return progressed
    }
}
