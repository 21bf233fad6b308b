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
        guard client.readable, !draining || client.input.readableCount > 0 else { return false }
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

        var isIPLiteral = false
        let rawHost = UnsafeRawBufferPointer(rebasing: buffer[head.routingHostRange])
        if HostNormalizer.normalize(rawHost, into: &hostScratch, isIPLiteral: &isIPLiteral) != nil {
            client.input.consume(head.headLength)
            answer(client, .badRequest, close: true)
            return
        }
        let resolution = hostScratch.withUnsafeBytes { table.resolve($0, isIPLiteral: isIPLiteral) }
        if client.tls != nil && isMisdirected(client, hostResolution: resolution) {
            counters.add(.misdirected)
            client.input.consume(head.headLength)
            answer(client, .misdirected, close: !client.exchange.keepAlive || head.framing != .none)
            return
        }
        switch RouteDecision.decide(resolution, in: table) {
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
        UpstreamRequestWriter.begin(
            into: &client.exchange.head, head: head, fields: client.parser.fields,
            buffer: buffer, storeHost: storeHost, parser: client.parser)
        if storeHost {
            hostScratch.withUnsafeBytes { host in
                tokens.append(to: &client.exchange.head, resolution: resolution, table: table,
                              host: host, nowSeconds: nowSeconds)
            }
        }
        client.exchange.head.append(contentsOf: client.forwardedBlock)
        hostScratch.withUnsafeBytes {
            UpstreamRequestWriter.appendHeader(UpstreamRequestWriter.forwardedHostName, $0, into: &client.exchange.head)
        }
        appendRequestId(&client.exchange.head)
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

    /// `X-Request-Id: <worker prefix>-<counter in hex>`: unique without a random draw
    /// per request. Clients' own ids are cut (no trusted hops yet), so this one is always set.
    func appendRequestId(_ out: inout [UInt8]) {
        requestCounter &+= 1
        out.append(contentsOf: UpstreamRequestWriter.requestIdName)
        out.append(contentsOf: requestIdPrefix)
        var started = false
        for shift in stride(from: 60, through: 0, by: -4) {
            let digit = Int((requestCounter >> UInt64(shift)) & 0xF)
            if digit != 0 || started || shift == 0 {
                out.append(hexDigits[digit])
                started = true
            }
        }
        out.append(0x0D)
        out.append(0x0A)
    }

    // MARK: phase 4: upstream connection

    func dispatch(_ client: ClientConnection, forceNew: Bool) {
        let group = groups[client.exchange.upstreamIndex]
        let server = group.pick(now: now)
        if !forceNew, let upstream = server.takeIdle() {
            attach(client, upstream)
            client.deadline = now + settings.timeouts.upstreamHeader
            return
        }
        let (fd, error) = Socket.connect(server.address)
        guard fd >= 0 else {
            server.markFailure(now: now)
            logger.warning("upstream connect failed", metadata: [
                "upstream": "\(group.name)", "server": "\(server.address)", "errno": "\(error)"])
            failBeforeResponse(client, kind: .badGateway)
            return
        }
        let upstream = UpstreamConnection(fd: fd, serial: nextSerial(), server: server, bufferSize: settings.upstreamBufferSize)
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

    /// Queues a complete response of our own (error pages are pre-rendered).
    func answer(_ client: ClientConnection, _ kind: ErrorKind, close: Bool) {
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
            lingerAndClose(client)
        } else {
            nextRequest(client)
        }
        return true
    }

    func nextRequest(_ client: ClientConnection) {
        client.requests += 1
        client.exchange.reset()
        client.closeAfterResponse = false
        client.parsedBytes = 0
        client.state = .readingHead
        client.deadline = now + (client.input.isEmpty ? settings.timeouts.clientKeepAlive : settings.timeouts.clientHeader)
    }

    private func linger(_ client: ClientConnection) -> Bool {
        guard client.readable else { return false }
        let space = client.input.prepareForRead()
        if space.count == 0 { client.input.clear() }
        switch Socket.read(client.fd, into: client.input.prepareForRead()) {
        case .bytes:
            client.input.clear()
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
                failBeforeResponse(client, kind: .badGateway)
                process(client)
            } else if !client.exchange.responseHeadDone && !client.exchange.responseStarted {
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
        case .handshaking, .tunnel, .answering, .lingering:
            closeClient(client)
        case .closed:
            return
        }
    }
}

private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
