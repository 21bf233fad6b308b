import CNGHTTP2
import TenantEdgeCore

/// HTTP/2 clients: each stream goes through the same phases as an HTTP/1.1 request
/// (route by `:authority`, answer or rewrite, upstream pool, relay) and reaches the
/// backend as HTTP/1.1 with the same headers and tenant context.
///
/// Backpressure both ways follows HTTP/2 flow control: request DATA is acknowledged
/// (WINDOW_UPDATE) only as it drains to the backend, and response bytes are read from the
/// backend only while the stream's buffer has room, which nghttp2 empties as the client's
/// window allows.
extension Worker {
    /// Bytes of frames queued for the client beyond which we stop pulling more from nghttp2.
    private static let h2OutputHighWater = 64 * 1024

    func h2Begin(_ client: ClientConnection) -> Bool {
        guard let session = H2Session(worker: self, client: client) else {
            closeClient(client)
            return false
        }
        client.h2 = session
        client.state = .h2
        client.switchedToH2()
        counters.add(.http1Closed)
        counters.add(.h2Opened)
        // While draining, a connection that opens no stream soon is not kept.
        client.deadline = now + (draining ? settings.timeouts.clientHeader : settings.timeouts.clientKeepAlive)
        return true
    }

    /// Reads frames, lets streams progress, writes frames.
    func h2Step(_ client: ClientConnection) -> Bool {
        guard let h2 = client.h2 else { return false }
        var progressed = false
        if client.readable && !client.closeAfterResponse {
            client.input.restoreStorage(from: &buffers)
            let space = client.input.prepareForRead()
            if space.count > 0 {
                switch clientRead(client, into: space) {
                case .bytes(let n):
                    client.input.didWrite(n)
                    if !h2.receive(client.input.readable) {
                        client.closeAfterResponse = true   // flush GOAWAY, then close
                    }
                    client.input.clear()
                    progressed = true
                case .wouldBlock:
                    client.readable = false
                case .closed, .failed:
                    closeClient(client)
                    return false
                }
            }
        }
        guard client.state == .h2 else { return false }
        if h2DriveStreams(h2) { progressed = true }
        if h2Flush(client) { progressed = true }
        guard client.state == .h2 else { return false }
        if !client.hasPendingOutput && (!h2.wantsIO || client.closeAfterResponse) {
            // The session is over and its GOAWAY written. The client may still be sending
            // (a flood that nghttp2's own limits ended inside a read that succeeded, e.g.
            // the stream reset rate); closing with its bytes unread would make the kernel
            // reset the connection and the client lose the GOAWAY, so linger as for
            // HTTP/1.1 whatever ended the session (a client that is done closes at once).
            lingerAndClose(client)
            return false
        }
        if !h2.streams.isEmpty { client.deadline = now + settings.timeouts.clientKeepAlive }
        return progressed
    }

    /// Streams whose upstream had more to give than their buffer held.
    private func h2DriveStreams(_ h2: H2Session) -> Bool {
        var progressed = false
        for stream in h2.streams.values where stream.upstream?.readable == true && !stream.responseComplete {
            if h2ProcessStream(stream) { progressed = true }
        }
        return progressed
    }

    /// Moves queued frames to the socket. Returns true if bytes were written.
    @discardableResult
    func h2Flush(_ client: ClientConnection) -> Bool {
        guard let h2 = client.h2 else { return false }
        var wrote = false
        while true {
            if client.outputSent > 0 && client.outputSent == client.output.count {
                client.output.removeAll(keepingCapacity: true)
                client.outputSent = 0
            }
            if client.output.count - client.outputSent < Self.h2OutputHighWater {
                if client.outputSent > 0 {
                    client.output.removeFirst(client.outputSent)
                    client.outputSent = 0
                }
                h2.send(into: &client.output, limit: Self.h2OutputHighWater * 2)
            }
            guard client.hasPendingOutput, client.writable else { return wrote }
            let result = client.output.withUnsafeBytes { bytes in
                clientWrite(client, UnsafeRawBufferPointer(rebasing: bytes[client.outputSent...]), UnsafeRawBufferPointer(start: nil, count: 0))
            }
            switch result {
            case .bytes(let n):
                client.outputSent += n
                wrote = true
                if client.hasPendingOutput { client.writable = false; return wrote }
            case .wouldBlock:
                client.writable = false
                return wrote
            case .closed, .failed:
                closeClient(client)
                return wrote
            }
        }
    }

    // MARK: stream phases (called from nghttp2 callbacks: no mem_send/mem_recv in here)

    func h2StartStream(_ stream: H2Stream) {
        stream.startedAt = now
        counters.add(.requests)
        // A connection accepted while draining serves the streams it opened with its first
        // flight, then ends (GOAWAY names the last stream nghttp2 processed).
        if draining { stream.session.goAway() }
        if mustShedNewRequest {
            // The same limits as HTTP/1.1 requests; the connection stays open (its other
            // streams are in progress), the stream gets the 503.
            counters.add(memoryShedding ? .requestsShedMemory : .requestsShed)
            h2RespondLocal(stream, .serviceUnavailable)
            return
        }
        stream.countedActive = true
        h2ActiveStreams += 1
        if stream.head.validate() != nil {
            h2RespondLocal(stream, .badRequest)
            return
        }
        stream.wantsJSON = stream.head.withPath { path in
            stream.head.withAccept { accept in ErrorPages.wantsJSON(path: path, accept: accept) }
        }
        if let healthPath = settings.healthPath, stream.head.withPath({ $0.elementsEqual(healthPath) }) {
            h2RespondHealth(stream)
            return
        }
        var isIPLiteral = false
        let invalid = stream.head.withRoutingHost { HostNormalizer.normalize($0, into: &hostScratch, isIPLiteral: &isIPLiteral) }
        guard invalid == nil else {
            h2RespondLocal(stream, .badRequest)
            return
        }
        let client = stream.session.client
        let resolution = hostScratch.withUnsafeBytes { table.resolve($0, isIPLiteral: isIPLiteral) }
        if resolution.storeIndex >= 0 { stream.record.storeId = table.store(resolution.storeIndex).idBytes }
        if client.tls != nil && isMisdirected(client, hostResolution: resolution) {
            counters.add(.misdirected)
            h2RespondLocal(stream, .misdirected)
            return
        }
        let storeHost: Bool
        switch RouteDecision.decide(resolution, in: table) {
        case .respond(let kind):
            h2RespondLocal(stream, kind)
            return
        case .forward:
            stream.upstreamIndex = 0
            storeHost = true
        case .passthrough(let name):
            stream.upstreamIndex = settings.upstreamIndex(named: name) ?? 0
            storeHost = false
        }
        stream.chunkedUpload = !stream.requestEnded && !stream.head.hasContentLength
        stream.head.write(into: &stream.upstreamHead, storeHost: storeHost, chunkedBody: stream.chunkedUpload)
        if storeHost {
            hostScratch.withUnsafeBytes { host in
                tokens.append(to: &stream.upstreamHead, resolution: resolution, table: table, host: host, nowSeconds: nowSeconds)
            }
        }
        stream.upstreamHead.append(contentsOf: client.forwardedBlock)
        hostScratch.withUnsafeBytes {
            UpstreamRequestWriter.appendHeader(UpstreamRequestWriter.forwardedHostName, $0, into: &stream.upstreamHead)
        }
        appendRequestId(&stream.upstreamHead)
        stream.record.requestNumber = requestCounter
        UpstreamRequestWriter.finish(into: &stream.upstreamHead)
        if !stream.requestEnded { stream.upload = IOBuffer(capacity: 2 * Int(H2Session.streamWindow) + 4096) }
        counters.add(storeHost ? .forwarded : .passthrough)
        stream.record.outcome = storeHost ? .forwarded : .passthrough
        h2Dispatch(stream, forceNew: false)
    }

    func h2ReceivedBody(_ stream: H2Stream, _ bytes: UnsafeRawBufferPointer) {
        stream.record.bytesIn &+= UInt64(bytes.count)
        guard let upload = stream.upload, !bytes.isEmpty else {
            stream.session.consume(stream: stream.id, bytes: bytes.count)
            return
        }
        var ok = true
        if stream.chunkedUpload {
            let size = Array(String(bytes.count, radix: 16).utf8) + [0x0D, 0x0A]
            ok = upload.append(size) && upload.append(bytes) && upload.append([0x0D, 0x0A])
        } else {
            ok = upload.append(bytes)
        }
        stream.unconsumed += bytes.count
        guard ok else {
            // Cannot happen while the peer respects the window we advertised.
            stream.session.reset(stream, code: NGHTTP2_FLOW_CONTROL_ERROR.rawValue)
            return
        }
        _ = h2ProcessStream(stream)
    }

    func h2RequestEnded(_ stream: H2Stream) {
        if stream.chunkedUpload && !stream.uploadFinished, let upload = stream.upload {
            stream.uploadFinished = upload.append(Array("0\r\n\r\n".utf8))
        }
        _ = h2ProcessStream(stream)
    }

    func h2StreamClosed(_ stream: H2Stream) {
        stream.closed = true
        if stream.countedActive {
            stream.countedActive = false
            h2ActiveStreams -= 1
        }
        if stream.startedAt > 0 {
            latency.record(milliseconds: now - stream.startedAt)
            logStream(stream)
        }
        if let upstream = stream.upstream {
            h2ReleaseUpstream(stream, upstream, reusable: false)
        }
    }

    // MARK: upstream

    private func h2Dispatch(_ stream: H2Stream, forceNew: Bool) {
        let group = groups[stream.upstreamIndex]
        let server = group.pick(now: now)
        stream.record.dispatchedAt = now
        if !forceNew, let upstream = server.takeIdle() {
            upstream.input.restoreStorage(from: &buffers)
            upstream.stream = stream
            stream.upstream = upstream
            stream.deadline = now + settings.timeouts.upstreamHeader
            _ = h2ProcessStream(stream)
            return
        }
        let (fd, _) = Socket.connect(server.address)
        counters.add(.upstreamConnects)   // attempts, as for HTTP/1.1
        guard fd >= 0 else {
            server.markFailure(now: now)
            counters.add(.upstreamConnectErrors)
            h2RespondLocal(stream, .badGateway)
            return
        }
        let upstream = UpstreamConnection(fd: fd, serial: nextSerial(), server: server, bufferSize: settings.clientBufferSize)
        setSlot(fd, .upstream(upstream))
        guard epoll.add(fd, token: Self.token(fd: fd, serial: upstream.serial), events: Epoll.readWrite) else {
            closeUpstream(upstream)
            h2RespondLocal(stream, .badGateway)
            return
        }
        upstream.stream = stream
        stream.upstream = upstream
        stream.deadline = now + settings.timeouts.upstreamConnect
    }

    private func h2ReleaseUpstream(_ stream: H2Stream, _ upstream: UpstreamConnection, reusable: Bool) {
        stream.upstream = nil
        upstream.stream = nil
        releaseUpstream(upstream, reusable: reusable)
    }

    /// Upstream I/O for one stream. Returns true on progress.
    @discardableResult
    func h2ProcessStream(_ stream: H2Stream) -> Bool {
        var progressed = false
        var again = true
        while again, let upstream = stream.upstream, !stream.closed {
            again = false
            if !upstream.connected {
                guard upstream.writable else { return progressed }
                guard Socket.pendingError(upstream.fd) == 0 else {
                    upstream.server.markFailure(now: now)
                    counters.add(.upstreamConnectErrors)
                    h2ReleaseUpstream(stream, upstream, reusable: false)
                    h2RespondLocal(stream, .badGateway)
                    return true
                }
                upstream.connected = true
                upstream.server.markSuccess()
                stream.deadline = now + settings.timeouts.upstreamHeader
            }
            // Request head and body to the backend.
            let headLeft = stream.upstreamHead.count - stream.headSent
            let bodyLeft = stream.upload?.readableCount ?? 0
            if (headLeft > 0 || bodyLeft > 0) && upstream.writable {
                let result = stream.upstreamHead.withUnsafeBytes { head in
                    Socket.write(upstream.fd, UnsafeRawBufferPointer(rebasing: head[stream.headSent...]),
                                 stream.upload?.readable ?? UnsafeRawBufferPointer(start: nil, count: 0))
                }
                switch result {
                case .bytes(let n):
                    let fromHead = min(n, headLeft)
                    stream.headSent += fromHead
                    if n - fromHead > 0 { stream.upload?.consume(n - fromHead) }
                    if n < headLeft + bodyLeft { upstream.writable = false }
                    if let upload = stream.upload, upload.readableCount < upload.capacity / 2, stream.unconsumed > 0 {
                        stream.session.consume(stream: stream.id, bytes: stream.unconsumed)
                        stream.unconsumed = 0
                    }
                    progressed = true
                    again = true
                case .wouldBlock:
                    upstream.writable = false
                case .closed, .failed:
                    h2UpstreamBroke(stream, upstream)
                    return true
                }
            }
            // Response from the backend.
            if !stream.responseHeadDone && !upstream.input.isEmpty {
                if h2ParseResponseHead(stream, upstream) { progressed = true; again = true }
                if stream.upstream !== upstream { return true }
            }
            let bufferHasRoom = upstream.input.writableCount > 0 || upstream.input.readIndex > 0
            if upstream.readable && !stream.responseComplete && bufferHasRoom {
                let space = upstream.input.prepareForRead()
                switch Socket.read(upstream.fd, into: space) {
                case .bytes(let n):
                    upstream.input.didWrite(n)
                    upstream.noteRead(n, offered: space.count)
                    stream.responseStarted = true
                    stream.deadline = now + settings.timeouts.bodyIdle
                    progressed = true
                    again = true
                case .wouldBlock:
                    upstream.readable = false
                case .closed:
                    upstream.readable = false
                    if stream.responseHeadDone && stream.responseFraming == .untilClose {
                        stream.responseComplete = true
                        stream.upstreamKeepAlive = false
                        progressed = true
                    } else {
                        h2UpstreamBroke(stream, upstream)
                        return true
                    }
                case .failed:
                    h2UpstreamBroke(stream, upstream)
                    return true
                }
            }
            if stream.responseHeadDone && (!upstream.input.isEmpty || stream.responseComplete) {
                stream.session.resume(stream)
            }
        }
        return progressed
    }

    private func h2UpstreamBroke(_ stream: H2Stream, _ upstream: UpstreamConnection) {
        let repeatable = upstream.reused && !stream.retried && !stream.responseStarted
            && stream.head.method.isIdempotent && stream.upload == nil
        h2ReleaseUpstream(stream, upstream, reusable: false)
        if repeatable {
            stream.retried = true
            stream.headSent = 0
            stream.responseParser.reset()
            counters.add(.upstreamRetries)
            h2Dispatch(stream, forceNew: true)
        } else if !stream.responseHeadDone {
            h2RespondLocal(stream, .badGateway)
        } else {
            stream.session.reset(stream)
        }
    }

    /// Parses the backend's response head and submits it as HTTP/2 HEADERS.
    private func h2ParseResponseHead(_ stream: H2Stream, _ upstream: UpstreamConnection) -> Bool {
        switch stream.responseParser.parse(upstream.input.readable, requestMethod: stream.head.method) {
        case .incomplete:
            if upstream.input.readableCount >= upstream.input.capacity {
                h2ReleaseUpstream(stream, upstream, reusable: false)
                h2RespondLocal(stream, .badGateway)
                return true
            }
            return false
        case .error:
            h2ReleaseUpstream(stream, upstream, reusable: false)
            h2RespondLocal(stream, .badGateway)
            return true
        case .complete:
            break
        }
        let head = stream.responseParser.head
        if head.status < 200 {
            // Interim responses (100 Continue) are for HTTP/1.1; HTTP/2 clients need none.
            // 101 cannot happen on HTTP/2 (no Upgrade); treat it as a broken backend.
            if head.status == 101 {
                h2ReleaseUpstream(stream, upstream, reusable: false)
                h2RespondLocal(stream, .badGateway)
                return true
            }
            upstream.input.consume(head.headLength)
            stream.responseParser.reset()
            return true
        }
        var headers = H2HeaderList()
        let status = String(head.status)
        headers.add(":status", status)
        let fields = stream.responseParser.fields
        let bytes = upstream.input.readable
        for index in fields.indices {
            let field = fields[index]
            switch field.name {
            case .connection, .keepAlive, .proxyConnection, .te, .trailer, .upgrade, .transferEncoding:
                continue
            default:
                if head.connectionTokensMask != 0 && stream.responseParser.isNominatedByConnection(index, in: bytes) { continue }
                headers.add(UnsafeRawBufferPointer(rebasing: bytes[Int(field.nameStart)..<Int(field.nameEnd)]),
                            UnsafeRawBufferPointer(rebasing: bytes[Int(field.valueStart)..<Int(field.valueEnd)]))
            }
        }
        upstream.input.consume(head.headLength)
        stream.responseHeadDone = true
        stream.upstreamKeepAlive = head.keepAlive
        stream.responseFraming = head.framing
        switch head.framing {
        case .none: stream.responseComplete = true
        case .contentLength(let length):
            stream.responseRemaining = length
            stream.responseComplete = length == 0
        case .chunked, .untilClose: stream.responseComplete = false
        }
        countStatus(head.status)
        stream.record.status = Int(head.status)
        stream.record.responseHeadAt = now
        let hasBody = !stream.responseComplete
        let submitted = headers.withNameValues { stream.session.submitResponse(stream, headers: $0, hasBody: hasBody) }
        if !submitted { stream.session.reset(stream) }
        if !hasBody { h2FinishUpstream(stream) }
        stream.deadline = now + settings.timeouts.bodyIdle
        return true
    }

    /// The response body is complete: the upstream goes back to the pool if the exchange
    /// was clean on both sides.
    private func h2FinishUpstream(_ stream: H2Stream) {
        guard let upstream = stream.upstream else { return }
        let requestSent = stream.headSent == stream.upstreamHead.count && (stream.upload?.isEmpty ?? true)
            && (stream.upload == nil || stream.requestEnded)
        h2ReleaseUpstream(stream, upstream, reusable: stream.upstreamKeepAlive && requestSent && upstream.input.isEmpty)
    }

    /// nghttp2 pulls the response body: payload bytes, de-chunked, from the upstream buffer.
    func h2ReadBody(_ stream: H2Stream, into buffer: UnsafeMutableRawBufferPointer, flags: UnsafeMutablePointer<UInt32>) -> Int {
        if stream.isLocalResponse {
            let n = min(buffer.count, stream.localBody.count - stream.localBodySent)
            stream.localBody.withUnsafeBytes { body in
                buffer.baseAddress!.copyMemory(from: body.baseAddress! + stream.localBodySent, byteCount: n)
            }
            stream.localBodySent += n
            stream.record.bytesOut &+= UInt64(n)
            if stream.localBodySent == stream.localBody.count { flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue }
            return n
        }
        var copied = 0
        if let upstream = stream.upstream {
            while copied < buffer.count && !upstream.input.isEmpty && !(stream.responseComplete && stream.responseFraming != .untilClose) {
                let space = buffer.count - copied
                let available = UnsafeRawBufferPointer(rebasing: upstream.input.readable.prefix(space))
                var take = 0
                switch stream.responseFraming {
                case .contentLength:
                    take = Int(min(UInt64(available.count), stream.responseRemaining))
                    stream.responseRemaining -= UInt64(take)
                    if stream.responseRemaining == 0 { stream.responseComplete = true }
                case .untilClose:
                    take = available.count
                case .chunked:
                    switch stream.responseScanner.nextSegment(available) {
                    case .data(let n): take = n
                    case .framing(let n):
                        upstream.input.consume(n)
                        continue
                    case .done(let n):
                        upstream.input.consume(n)
                        stream.responseComplete = true
                        continue
                    case .needMore:
                        break
                    case .error:
                        h2ReleaseUpstream(stream, upstream, reusable: false)
                        return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
                    }
                case .none:
                    stream.responseComplete = true
                }
                if take == 0 { break }
                buffer.baseAddress!.advanced(by: copied).copyMemory(from: available.baseAddress!, byteCount: take)
                upstream.input.consume(take)
                copied += take
            }
        }
        stream.record.bytesOut &+= UInt64(copied)
        let finished = stream.responseComplete && (stream.upstream?.input.isEmpty ?? true || stream.responseFraming != .untilClose)
        if finished {
            flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            h2FinishUpstream(stream)
            return copied
        }
        if copied == 0 {
            if stream.upstream == nil { return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue) }
            stream.deferred = true
            return Int(NGHTTP2_ERR_DEFERRED.rawValue)
        }
        return copied
    }

    /// An answer of our own on a stream (error pages), never reaching a backend.
    func h2RespondLocal(_ stream: H2Stream, _ kind: ErrorKind) {
        let pages = settings.errorPages
        let response = pages.response(kind, json: stream.wantsJSON, close: false)
        let headLength = pages.headLength(kind, json: stream.wantsJSON, close: false)
        stream.localBody = stream.head.method == .head ? [] : Array(response[headLength...])
        stream.localBodySent = 0
        stream.isLocalResponse = true
        stream.record.status = kind.status
        stream.record.outcome = countLocalAnswer(kind)
        var headers = H2HeaderList()
        headers.add(":status", String(kind.status))
        headers.add("content-type", stream.wantsJSON ? "application/json" : "text/html; charset=utf-8")
        headers.add("content-length", String(response.count - headLength))
        headers.add("cache-control", "no-store")
        if kind == .provisioning { headers.add("retry-after", String(pages.retryAfterSeconds)) }
        if kind == .serviceUnavailable { headers.add("retry-after", "1") }
        let submitted = headers.withNameValues {
            stream.session.submitResponse(stream, headers: $0, hasBody: !stream.localBody.isEmpty)
        }
        if !submitted { stream.session.reset(stream) }
    }

    /// `health_path` on an HTTP/2 connection: the same answer as for HTTP/1.1 (503 once
    /// draining), before routing, never reaching a backend.
    private func h2RespondHealth(_ stream: H2Stream) {
        counters.add(.healthChecks)
        counters.add(.answeredLocally)
        let status = draining ? 503 : 200
        countStatus(status)
        stream.record.outcome = .health
        stream.record.status = status
        stream.localBody = stream.head.method == .head ? [] : (draining ? Self.h2HealthDraining : Self.h2HealthOK)
        stream.localBodySent = 0
        stream.isLocalResponse = true
        var headers = H2HeaderList()
        headers.add(":status", draining ? "503" : "200")
        headers.add("content-type", "text/plain")
        headers.add("content-length", draining ? "9" : "3")
        headers.add("cache-control", "no-store")
        let submitted = headers.withNameValues {
            stream.session.submitResponse(stream, headers: $0, hasBody: !stream.localBody.isEmpty)
        }
        if !submitted { stream.session.reset(stream) }
    }

    private static let h2HealthOK = Array("ok\n".utf8)
    private static let h2HealthDraining = Array("draining\n".utf8)

    /// A stream's upstream deadline passed (see sweep).
    func h2Expire(_ stream: H2Stream) {
        guard let upstream = stream.upstream else { return }
        if !upstream.connected {
            upstream.server.markFailure(now: now)
            counters.add(.upstreamConnectErrors)
            counters.add(.upstreamTimeouts)   // a connect timeout is both
            h2ReleaseUpstream(stream, upstream, reusable: false)
            h2RespondLocal(stream, .badGateway)
        } else if !stream.responseHeadDone {
            counters.add(.upstreamTimeouts)
            h2ReleaseUpstream(stream, upstream, reusable: false)
            h2RespondLocal(stream, .gatewayTimeout)
        } else {
            h2ReleaseUpstream(stream, upstream, reusable: false)
            stream.session.reset(stream)
        }
        process(stream.session.client)
    }
}
