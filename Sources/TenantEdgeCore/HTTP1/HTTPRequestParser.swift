/// A strict RFC 9112 request-head parser that works in place over the read buffer.
///
/// It records offsets (`head`, `fields`) instead of copying, because the proxy forwards the
/// head's bytes and only cuts and splices (DESIGN.md section 2). No String, no Foundation and,
/// in steady state, no allocation: `fields` keeps its capacity from one request to the next.
/// Read `parser.fields[i]` in place rather than keeping a copy of the array, or the next
/// `parse` has to copy it.
///
/// Incremental: after `.incomplete`, call `parse` again when more bytes arrived, with the same
/// bytes still at the start of the buffer (it resumes where it stopped, so a head dripping in
/// one byte per read costs linear time). After `.complete` or `.error` the next call starts a
/// new head; a pipelined request is parsed by passing the bytes from the previous request's
/// end (`headLength` plus its body).
public struct HTTPRequestParser: Sendable {
    public internal(set) var head = HTTPRequestHead()
    public private(set) var fields: [HeaderField] = []

    let limits: HTTPLimits
    var cursor = LineCursor()
    var state = State.idle

    enum State {
        case idle, requestLine, fieldLines
    }

    public init(limits: HTTPLimits = .default) {
        self.limits = limits
        // No reservation here: a parser lives in every connection, and an idle one should
        // cost nothing; the array grows on the first request and keeps its capacity.
    }

    /// Parses the request head at the start of `buffer`.
    public mutating func parse(_ buffer: UnsafeRawBufferPointer) -> HeadParseResult {
        do throws(HTTPParseError) {
            guard try advance(buffer) else { return .incomplete }
            reset()
            return .complete
        } catch {
            reset()
            return .error(error)
        }
    }

    /// Forgets a partly parsed head, for a caller that discards the bytes it fed so far.
    public mutating func reset() {
        state = .idle
        cursor.reset()
    }

    /// True if a Connection token names field `index`, so the proxy must not forward it
    /// (RFC 9110 section 7.6.1). Never true for Host, Content-Length or Transfer-Encoding.
    public func isNominatedByConnection(_ index: Int, in buffer: UnsafeRawBufferPointer) -> Bool {
        FramingFields.isNominated(index, fields, head.connectionTokensMask, buffer)
    }

    /// Returns true once the head is complete.
    mutating func advance(_ buffer: UnsafeRawBufferPointer) throws(HTTPParseError) -> Bool {
        if state == .idle {
            head = HTTPRequestHead()
            fields.removeAll(keepingCapacity: true)
            state = .requestLine
        }
        while state == .requestLine {
            switch cursor.next(buffer) {
            case .incomplete:
                if buffer.count >= limits.maxRequestLineBytes { throw .requestLineTooLong }
                return false
            case .bareLF(let lf):
                // Limits by position first, as for the other cases: otherwise whether a long
                // line is 414 or 400 would depend on how the bytes were split into reads.
                if lf &+ 1 > limits.maxRequestLineBytes { throw .requestLineTooLong }
                throw .bareLF
            case .line(let cr):
                if cr &+ 2 > limits.maxRequestLineBytes { throw .requestLineTooLong }
                // RFC 9112 section 2.2: ignore empty lines before the request line (some
                // clients send a CRLF after a POST body).
                if cr > cursor.lineStart {
                    try parseRequestLine(buffer, cursor.lineStart, cr)
                    state = .fieldLines
                }
                cursor.consume(through: cr)
            }
        }
        while true {
            switch cursor.next(buffer) {
            case .incomplete:
                if buffer.count >= limits.maxHeadBytes { throw .headTooLarge }
                return false
            case .bareLF(let lf):
                if lf &+ 1 > limits.maxHeadBytes { throw .headTooLarge }
                throw .bareLF
            case .line(let cr):
                if cr &+ 2 > limits.maxHeadBytes { throw .headTooLarge }
                if cr == cursor.lineStart {
                    head.headLength = cr &+ 2
                    try finishHead(buffer)
                    return true
                }
                if fields.count >= limits.maxFields { throw .tooManyFields }
                fields.append(try FieldLine.parse(buffer, cursor.lineStart, cr))
                cursor.consume(through: cr)
            }
        }
    }

    /// Decisions that need all fields: Host, framing, connection options.
    mutating func finishHead(_ buffer: UnsafeRawBufferPointer) throws(HTTPParseError) {
        var hostCount = 0
        var hasContentLength = false
        var hasTransferEncoding = false
        var hasConnection = false
        var hasUpgrade = false
        for index in fields.indices {
            let field = fields[index]
            switch field.name {
            case .host:
                hostCount &+= 1
                head.hostRange = field.valueRange
            case .contentLength: hasContentLength = true
            case .transferEncoding: hasTransferEncoding = true
            case .connection: hasConnection = true
            case .upgrade: hasUpgrade = true
            case .expect:
                if ByteClass.equalsFolded(buffer, Int(field.valueStart), Int(field.valueEnd), "100-continue") {
                    head.expectContinue = true
                }
            default: break
            }
        }

        // RFC 9112 section 3.2: exactly one valid Host in HTTP/1.1, at most one in 1.0.
        if hostCount > 1 { throw .multipleHosts }
        if let host = head.hostRange {
            guard HostSyntax.isValid(buffer, host.lowerBound, host.upperBound) else { throw .invalidHost }
        } else if head.versionMinor == 1 {
            throw .missingHost
        }
        head.routingHostRange = head.authorityRange ?? head.hostRange ?? 0..<0

        if hasTransferEncoding {
            // RFC 9112 section 6.1 and 6.3: both present, or TE in 1.0, is faulty framing.
            if hasContentLength { throw .contentLengthWithTransferEncoding }
            if head.versionMinor == 0 { throw .transferEncodingInHTTP10 }
            let codings = try FramingFields.transferCodings(buffer, fields)
            if codings.hasUnknown { throw .unsupportedTransferCoding }
            if !codings.lastIsChunked || codings.chunkedCount != 1 { throw .chunkedNotFinal }
            if codings.hasOtherKnown { throw .unsupportedTransferCoding }
            head.framing = .chunked
        } else if hasContentLength, let length = try FramingFields.contentLength(buffer, fields) {
            head.framing = .contentLength(length)
        }

        var options = FramingFields.ConnectionOptions()
        if hasConnection { options = FramingFields.connectionOptions(buffer, fields) }
        head.connectionTokensMask = options.mask
        head.keepAlive = head.versionMinor == 1 ? !options.close : options.keepAlive && !options.close
        head.upgrade = hasUpgrade && options.upgrade
    }
}
