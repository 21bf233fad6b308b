import TenantEdgeCore

/// The phases every HTTP/1.1 request goes through, in order (Pingora's shape):
/// 1. read the head (`readHead`), strictly parsed in place;
/// 2. route (`route`): normalize the host, look it up, decide from the store's state;
///    unknown hosts and unavailable stores are answered here and never reach a backend;
/// 3. rewrite (`forward`): copy the head through, cut what clients must not send, add
///    the signed tenant context and forwarding headers;
/// 4. pick an upstream connection (`dispatch`): a pooled one or a new one;
/// 5. relay request body and response (`Worker+Relay.swift`);
/// 6. finish: reuse or close the upstream, then the next request on the connection.
extension Worker {
    /// Runs the connection's state machine until it can make no more progress without
    /// new readiness (edge-triggered: each step reads or writes until `EAGAIN`).
    func process(_ client: ClientConnection) {
        var progressed = true
        while progressed {
            switch client.state {
            case .proxyHeader: progressed = readProxyHeader(client)
            case .handshaking: progressed = handshake(client)
            case .readingHead: progressed = readHead(client)
            case .h2: progressed = h2Step(client)
            case .proxying: progressed = relay(client)
            case .tunnel: progressed = tunnel(client)
            case .answering: progressed = flushAnswer(client)
            case .lingering: progressed = linger(client)
            case .closed: return
            }
        }
    }

    // MARK: phase 1: read the head

    private func readHead(_ client: ClientConnection) -> Bool {
        if client.input.readableCount > client.parsedBytes {
            if client.context == nil && mustShedNewRequest {
                shed(client)
                return true
            }
            switch client.parser.parse(client.input.readable) {
            case .complete:
                client.parsedBytes = 0
                route(client)
                return true
            case .error(let error):
                client.exchange.reset()
                answer(client, ErrorKind(status: error.status), close: true)
                return true
            case .incomplete:
                client.parsedBytes = client.input.readableCount
                if client.input.readableCount >= client.input.capacity {
                    answer(client, .headersTooLarge, close: true)
                    return true
                }
                if client.input.readableCount > 0 && client.deadline > now + settings.timeouts.clientHeader {
                    client.deadline = now + settings.timeouts.clientHeader
                }
            }
        }
        // While draining, no new request starts on a connection that has been served (it is
        // closing); one accepted but yet to send its first request is read and answered.
        guard client.readable, !draining || client.input.readableCount > 0 || client.requests == 0 else { return false }
        if !client.input.hasStorage { client.input.restoreStorage(from: &buffers) }
        let space = client.input.prepareForRead()
        if client.input.readableCount == 0 { client.parsedBytes = 0 }
        guard space.count > 0 else { return false }
        switch clientRead(client, into: space) {
        case .bytes(let n):
            client.input.didWrite(n)
            return true
        case .wouldBlock:
            client.readable = false
            return false
        case .closed, .failed:
            closeClient(client)
            return false
        }
    }

    /// Overload: the worker already has its limit of requests in progress, or the process
    /// is over its memory limit, so this one gets a fixed 503 written straight from a
    /// constant (taking no request context, which is the memory being protected) and the
    /// connection closes. Keep-alive and pipelined requests already in progress are never
    /// shed: they hold their context.
    private func shed(_ client: ClientConnection) {
        counters.add(memoryShedding ? .requestsShedMemory : .requestsShed)
        countStatus(503)
        Self.overloaded.withUnsafeBytes { bytes in
            _ = clientWrite(client, bytes, UnsafeRawBufferPointer(start: nil, count: 0))
        }
        client.input.clear()
        lingerAndClose(client)
    }

    static let overloaded: [UInt8] = Array(("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
        + "Content-Length: 12\r\nRetry-After: 1\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
        + "overloaded\r\n").utf8)

    // MARK: phase 2: route

    private func route(_ client: ClientConnection) {
        let head = client.parser.head
        client.exchange.reset()
        client.exchange.method = head.method
        client.exchange.keepAlive = head.keepAlive && !draining
        client.exchange.upgrade = head.upgrade
        client.exchange.http10 = head.versionMinor == 0
        client.exchange.startedAt = now
        let buffer = client.input.readable
        client.exchange.wantsJSON = ErrorPages.wantsJSON(
            path: UnsafeRawBufferPointer(rebasing: buffer[head.originFormRange]),
            accept: acceptValue(client.parser.fields, in: buffer))

        counters.add(.requests)
        let path = UnsafeRawBufferPointer(rebasing: buffer[head.originFormRange])
        if let healthPath = settings.healthPath, path.elementsEqual(healthPath) {
            counters.add(.healthChecks)
            client.exchange.outcome = .health
            client.input.consume(head.headLength)
            // Unhealthy as soon as draining starts, so the load balancer moves away first.
            answerRaw(client, draining ? Self.healthDraining : Self.healthOK, close: !client.exchange.keepAlive || head.framing != .none)
            return
        }
        // ACME HTTP-01 (certificates on demand): answered before routing, whatever the Host,
        // so a store's domain validates before its first request is routed anywhere.
        if client.tls == nil, isACMEChallenge(path) {
            let close = !client.exchange.keepAlive || head.framing != .none
            let token = UnsafeRawBufferPointer(rebasing: path[Self.acmeChallengePrefix.count...])
            if let response = challenges.response(token: token, close: close) {
                client.exchange.outcome = .health
                client.input.consume(head.headLength)
                answerRaw(client, response, close: close)
                return
            }
        }
        var isIPLiteral = false
        let rawHost = UnsafeRawBufferPointer(rebasing: buffer[head.routingHostRange])
        if HostNormalizer.normalize(rawHost, into: &hostScratch, isIPLiteral: &isIPLiteral) != nil {
            client.input.consume(head.headLength)
            answer(client, .badRequest, close: true)
            return
        }
        let resolution = hostScratch.withUnsafeBytes { table.resolve($0, isIPLiteral: isIPLiteral) }
        client.exchange.host.append(contentsOf: hostScratch)
        if resolution.storeIndex >= 0 { client.exchange.storeId.append(contentsOf: table.store(resolution.storeIndex).idBytes) }
        if client.tls != nil && isMisdirected(client, hostResolution: resolution) {
            counters.add(.misdirected)
            client.exchange.outcome = .misdirected
            client.input.consume(head.headLength)
            answer(client, .misdirected, close: !client.exchange.keepAlive || head.framing != .none)
            return
        }
        let decision = RouteDecision.decide(resolution, in: table)
        if settings.redirectHTTPToHTTPS, client.listener.scheme == .http, resolution.storeIndex >= 0,
           !isACMEChallenge(path), !(client.trustedPeer && forwardedProtoIsHTTPS(client.parser.fields, in: buffer)) {
            counters.add(.redirects)
            client.exchange.outcome = .redirect
            let response = Self.redirect(host: hostScratch, target: path, close: !client.exchange.keepAlive || head.framing != .none)
            client.input.consume(head.headLength)
            answerRaw(client, response, close: !client.exchange.keepAlive || head.framing != .none)
            return
        }
        switch decision {
        case .respond(let kind):
            client.input.consume(head.headLength)
            // A body we will not read cannot be skipped reliably: close after answering.
            answer(client, kind, close: !client.exchange.keepAlive || head.framing != .none)
        case .forward:
            forward(client, head: head, resolution: resolution, upstreamIndex: 0)
        case .passthrough(let upstreamName):
            forward(client, head: head, resolution: resolution,
                    upstreamIndex: settings.upstreamIndex(named: upstreamName) ?? 0)
        }
    }

    private func acceptValue(_ fields: [HeaderField], in buffer: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        for field in fields where field.name == .other && field.nameEnd - field.nameStart == 6 {
            var matches = true
            for (offset, expected) in "accept".utf8.enumerated() where buffer[Int(field.nameStart) + offset] | 0x20 != expected {
                matches = false
                break
            }
            if matches {
                return UnsafeRawBufferPointer(rebasing: buffer[Int(field.valueStart)..<Int(field.valueEnd)])
            }
        }
        return nil
    }

    // MARK: phase 3: rewrite

    private func forward(_ client: ClientConnection, head: HTTPRequestHead, resolution: RouteResolution, upstreamIndex: Int) {
        let buffer = client.input.readable
        let storeHost = resolution.rule != .passthrough
        counters.add(storeHost ? .forwarded : .passthrough)
        client.exchange.outcome = storeHost ? .forwarded : .passthrough
        UpstreamRequestWriter.begin(
            into: &client.exchange.head, head: head, fields: client.parser.fields,
            buffer: buffer, storeHost: storeHost, parser: client.parser, trustedHop: client.trustedPeer)
        if storeHost {
            hostScratch.withUnsafeBytes { host in
                tokens.append(to: &client.exchange.head, resolution: resolution, table: table,
                              host: host, nowSeconds: nowSeconds)
            }
        }
        var keepsRequestId = false
        if client.trustedPeer {
            keepsRequestId = appendTrustedForwarding(client, fields: client.parser.fields, in: buffer)
        } else {
            client.exchange.head.append(contentsOf: client.forwardedBlock)
        }
        hostScratch.withUnsafeBytes {
            UpstreamRequestWriter.appendHeader(UpstreamRequestWriter.forwardedHostName, $0, into: &client.exchange.head)
        }
        if !keepsRequestId {
            appendRequestId(&client.exchange.head)
            client.exchange.requestId.append(contentsOf: requestIdScratch)
        }
        UpstreamRequestWriter.finish(into: &client.exchange.head)

        client.input.consume(head.headLength)
        client.exchange.requestFraming = head.framing
        switch head.framing {
        case .none, .untilClose:
            client.exchange.requestComplete = true
        case .contentLength(let length):
            client.exchange.requestRemaining = length
            client.exchange.requestComplete = length == 0
        case .chunked:
            client.exchange.requestComplete = false
        }
        client.exchange.upstreamIndex = upstreamIndex
        if !identifyRequestBody(client) { return }
        dispatch(client, forceNew: false)
    }

    /// From a trusted hop: its `X-Forwarded-For` list with the client appended, its
    /// `X-Forwarded-Proto` kept (the writer left it in) or ours added, `X-Forwarded-Port`.
    /// Returns whether the hop sent an `X-Request-Id` (kept, so one id follows the request).
    private func appendTrustedForwarding(_ client: ClientConnection, fields: [HeaderField], in buffer: UnsafeRawBufferPointer) -> Bool {
        client.exchange.head.append(contentsOf: Self.forwardedForName)
        var sawProto = false
        var sawRequestId = false
        for field in fields {
            switch field.name {
            case .xForwardedFor:
                client.exchange.head.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[Int(field.valueStart)..<Int(field.valueEnd)]))
                client.exchange.head.append(contentsOf: Self.listSeparator)
            case .xForwardedProto: sawProto = true
            case .xRequestId: sawRequestId = true
            default: continue
            }
        }
        client.clientAddress?.appendAddressText(to: &client.exchange.head)
        client.exchange.head.append(0x0D)
        client.exchange.head.append(0x0A)
        // Without the hop's own X-Forwarded-Proto, the per-listener lines say ours.
        client.exchange.head.append(contentsOf: sawProto ? client.listener.portBlock : client.listener.protoAndPortBlock)
        return sawRequestId
    }

    private func forwardedProtoIsHTTPS(_ fields: [HeaderField], in buffer: UnsafeRawBufferPointer) -> Bool {
        for field in fields where field.name == .xForwardedProto {
            let value = UnsafeRawBufferPointer(rebasing: buffer[Int(field.valueStart)..<Int(field.valueEnd)])
            return value.elementsEqual("https".utf8)
        }
        return false
    }

    private func isACMEChallenge(_ path: UnsafeRawBufferPointer) -> Bool {
        path.count >= Self.acmeChallengePrefix.count && path.prefix(Self.acmeChallengePrefix.count).elementsEqual(Self.acmeChallengePrefix)
    }

    static let acmeChallengePrefix: [UInt8] = Array("/.well-known/acme-challenge/".utf8)

    private static func redirect(host: [UInt8], target: UnsafeRawBufferPointer, close: Bool) -> [UInt8] {
        var out = Array("HTTP/1.1 308 Permanent Redirect\r\nLocation: https://".utf8)
        out.append(contentsOf: host)
        out.append(contentsOf: target)
        out.append(contentsOf: "\r\nContent-Length: 0\r\nCache-Control: no-store\r\nConnection: \(close ? "close" : "keep-alive")\r\n\r\n".utf8)
        return out
    }

    static let forwardedForName: [UInt8] = Array("X-Forwarded-For: ".utf8)
    static let listSeparator: [UInt8] = Array(", ".utf8)
    static let healthOK = Array("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nCache-Control: no-store\r\n\r\nok\n".utf8)
    static let healthDraining = Array("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 9\r\nCache-Control: no-store\r\n\r\ndraining\n".utf8)

    /// `X-Request-Id: <worker prefix>-<counter in hex>`: unique without a random draw
    /// per request. The id is also kept in `requestIdScratch` for the access log.
    func appendRequestId(_ out: inout [UInt8]) {
        requestCounter &+= 1
        formatRequestId(requestCounter, into: &requestIdScratch)
        out.append(contentsOf: UpstreamRequestWriter.requestIdName)
        out.append(contentsOf: requestIdScratch)
        out.append(0x0D)
        out.append(0x0A)
    }

    // MARK: phase 4: upstream connection

    func dispatch(_ client: ClientConnection, forceNew: Bool) {
        let group = groups[client.exchange.upstreamIndex]
        let server = group.pick(now: now)
        if !forceNew, let upstream = server.takeIdle() {
            upstream.input.restoreStorage(from: &buffers)
            client.exchange.dispatchedAt = now
            attach(client, upstream)
            client.deadline = requestWaitDeadline(client)
            return
        }
        client.exchange.dispatchedAt = now
        let (fd, error) = Socket.connect(server.address)
        counters.add(.upstreamConnects)
        guard fd >= 0 else {
            server.markFailure(now: now)
            counters.add(.upstreamConnectErrors)
            logger.warning("upstream connect failed", metadata: [
                "upstream": "\(group.name)", "server": "\(server.address)", "errno": "\(error)"])
            failBeforeResponse(client, kind: .badGateway)
            return
        }
        let upstream = UpstreamConnection(fd: fd, serial: nextSerial(), server: server, bufferSize: settings.clientBufferSize)
        setSlot(fd, .upstream(upstream))
        guard epoll.add(fd, token: Self.token(fd: fd, serial: upstream.serial), events: Epoll.readWrite) else {
            closeUpstream(upstream)
            failBeforeResponse(client, kind: .badGateway)
            return
        }
        attach(client, upstream)
        client.deadline = now + settings.timeouts.upstreamConnect
    }

    private func attach(_ client: ClientConnection, _ upstream: UpstreamConnection) {
        upstream.client = client
        client.upstream = upstream
        client.state = .proxying
    }

    // MARK: answers of our own

    /// Queues bytes we produced (health answers, redirects) as the whole response.
    func answerRaw(_ client: ClientConnection, _ response: [UInt8], close: Bool) {
        counters.add(.answeredLocally)
        // "HTTP/1.1 NNN": the status for the access log.
        if response.count > 12 {
            client.exchange.status = Int(response[9] &- 48) * 100 + Int(response[10] &- 48) * 10 + Int(response[11] &- 48)
        }
        client.output.removeAll(keepingCapacity: true)
        client.output.append(contentsOf: response)
        client.outputSent = 0
        client.closeAfterResponse = close
        client.state = .answering
        client.deadline = now + settings.timeouts.bodyIdle
    }

    /// Queues a complete response of our own (error pages are pre-rendered).
    func answer(_ client: ClientConnection, _ kind: ErrorKind, close: Bool) {
        client.exchange.status = kind.status
        client.exchange.outcome = countLocalAnswer(kind)
        let response = settings.errorPages.response(kind, json: client.exchange.wantsJSON, close: close)
        client.output.removeAll(keepingCapacity: true)
        if client.exchange.method == .head {
            // Same head as for GET, no body (RFC 9110 section 9.3.2).
            let headLength = settings.errorPages.headLength(kind, json: client.exchange.wantsJSON, close: close)
            client.output.append(contentsOf: response[..<headLength])
        } else {
            client.output.append(contentsOf: response)
        }
        client.outputSent = 0
        client.closeAfterResponse = close
        client.state = .answering
        client.deadline = now + settings.timeouts.bodyIdle
    }

    /// The upstream could not be used and nothing was sent to the client yet.
    func failBeforeResponse(_ client: ClientConnection, kind: ErrorKind) {
        if let upstream = client.upstream {
            client.upstream = nil
            closeUpstream(upstream)
        }
        answer(client, kind, close: !client.exchange.requestComplete || !client.exchange.keepAlive)
    }

    private func flushAnswer(_ client: ClientConnection) -> Bool {
        if client.hasPendingOutput {
            guard client.writable else { return false }
            let result = client.output.withUnsafeBytes { bytes in
                clientWrite(client, UnsafeRawBufferPointer(rebasing: bytes[client.outputSent...]), UnsafeRawBufferPointer(start: nil, count: 0))
            }
            switch result {
            case .bytes(let n):
                client.outputSent += n
                if client.hasPendingOutput {
                    client.writable = false
                    return false
                }
            case .wouldBlock:
                client.writable = false
                return false
            case .closed, .failed:
                closeClient(client)
                return false
            }
        }
        client.output.removeAll(keepingCapacity: true)
        client.outputSent = 0
        if client.closeAfterResponse || draining {
            logExchange(client)
            lingerAndClose(client)
        } else {
            nextRequest(client)
        }
        return true
    }

    /// Counts an answer of our own (HTTP/1.1 and HTTP/2 alike) and says how to log it.
    func countLocalAnswer(_ kind: ErrorKind) -> RequestOutcome {
        counters.add(.answeredLocally)
        countStatus(kind.status)
        switch kind {
        case .notFound:
            counters.add(.notFound)
            return .notFound
        case .provisioning:
            counters.add(.provisioning)
            return .provisioning
        case .inactive:
            counters.add(.storeUnavailable)
            return .inactive
        case .closed:
            counters.add(.storeClosed)
            return .closed
        case .badRequest, .headersTooLarge, .uriTooLong, .versionNotSupported, .notImplemented, .requestTimeout:
            counters.add(.badRequests)
            return .badRequest
        case .misdirected:
            return .misdirected
        default:
            return .error
        }
    }

    func countStatus(_ status: Int) {
        switch status {
        case ..<200: counters.add(.status1xx)
        case ..<300: counters.add(.status2xx)
        case ..<400: counters.add(.status3xx)
        case ..<500: counters.add(.status4xx)
        default: counters.add(.status5xx)
        }
    }

    func nextRequest(_ client: ClientConnection) {
        if client.exchange.startedAt > 0 {
            latency.record(milliseconds: now - client.exchange.startedAt)
            logExchange(client)
        }
        client.exchange.bytesReadAtStart = client.bytesRead
        client.exchange.bytesWrittenAtStart = client.bytesWritten
        client.requests += 1
        client.idleSince = now
        client.shrunk = false
        // Between requests the input buffer goes back to the worker's pool (the next
        // request on any connection takes it), so idle connections hold no buffer.
        if client.input.isEmpty && client.input.hasStorage { client.input.releaseStorage(to: &buffers) }
        // Likewise the request context (parser, exchange, output): the next connection with
        // work takes it, still warm (the pool resets it), and this one holds only its small
        // object while idle.
        if client.input.isEmpty && !client.hasPendingOutput {
            client.releaseContext()
        } else {
            client.exchange.reset()
        }
        client.closeAfterResponse = false
        client.parsedBytes = 0
        client.state = .readingHead
        client.deadline = now + (client.input.isEmpty ? settings.timeouts.clientKeepAlive : settings.timeouts.clientHeader)
    }

    private func linger(_ client: ClientConnection) -> Bool {
        guard client.readable else { return false }
        switch Socket.read(client.fd, into: tlsScratch) {   // discarded
        case .bytes:
            return true
        case .wouldBlock:
            client.readable = false
            return false
        case .closed, .failed:
            closeClient(client)
            return false
        }
    }

    /// A deadline passed (see `sweep`).
    func expire(_ client: ClientConnection) {
        switch client.state {
        case .readingHead:
            if client.input.isEmpty {
                closeClient(client)   // idle keep-alive or a connection that never spoke
            } else {
                client.exchange.reset()
                answer(client, .requestTimeout, close: true)
                process(client)
            }
        case .proxying:
            guard let upstream = client.upstream else { return closeClient(client) }
            if !upstream.connected {
                upstream.server.markFailure(now: now)
                counters.add(.upstreamConnectErrors)
                counters.add(.upstreamTimeouts)   // a connect timeout is both
                failBeforeResponse(client, kind: .badGateway)
                process(client)
            } else if !client.exchange.responseHeadDone && !client.exchange.responseStarted
                        && !client.exchange.requestComplete && client.exchange.requestPending == 0 {
                // The client stopped sending its body (all it sent is upstream): its
                // timeout, not the backend's. The backend holds half a request, so that
                // connection goes (failBeforeResponse closes it).
                failBeforeResponse(client, kind: .requestTimeout)
                process(client)
            } else if !client.exchange.responseHeadDone && !client.exchange.responseStarted {
                counters.add(.upstreamTimeouts)
                failBeforeResponse(client, kind: .gatewayTimeout)
                process(client)
            } else {
                closeClient(client)
            }
        case .h2:
            guard let h2 = client.h2, h2.streams.isEmpty else {
                client.deadline = now + settings.timeouts.clientKeepAlive
                return
            }
            // Idle: say GOAWAY so the client opens a new connection next time, then close.
            h2.goAway()
            h2Flush(client)
            closeClient(client)
        case .proxyHeader, .handshaking, .tunnel, .answering, .lingering:
            closeClient(client)
        case .closed:
            return
        }
    }
}
