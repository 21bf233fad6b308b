/// Parses an upstream response head only as far as forwarding needs: status, framing,
/// connection reuse and upgrade (DESIGN.md section 2). The head's bytes are passed on by
/// `ResponseHeadWriter`, not rebuilt.
///
/// Incremental and allocation-free in steady state, like `HTTPRequestParser`. Every rejection
/// has status 502: a malformed response is the backend's fault, and its connection is not
/// reused (DESIGN.md section 5: reuse only after a complete, well-framed response).
public struct HTTPResponseParser: Sendable {
    public private(set) var head = HTTPResponseHead()
    public private(set) var fields: [HeaderField] = []

    let limits: HTTPLimits
    var cursor = LineCursor()
    var inFieldLines = false
    var started = false

    public init(limits: HTTPLimits = .default) {
        self.limits = limits
        // No reservation here: a parser lives in every connection, and an idle one should
        // cost nothing; the array grows on the first request and keeps its capacity.
    }

    /// Parses the response head at the start of `buffer`. `requestMethod` matters because a
    /// response to HEAD has no body whatever its Content-Length says (RFC 9110 section 9.3.2).
    /// After an interim 1xx other than 101, call again with the bytes after `headLength`.
    public mutating func parse(_ buffer: UnsafeRawBufferPointer, requestMethod: HTTPMethod) -> HeadParseResult {
        do throws(HTTPParseError) {
            guard try advance(buffer, requestMethod) else { return .incomplete }
            reset()
            return .complete
        } catch {
            reset()
            return .error(error)
        }
    }

    /// Forgets a partly parsed head.
    public mutating func reset() {
        started = false
        inFieldLines = false
        cursor.reset()
    }

    /// True if a Connection token names field `index` (never Content-Length,
    /// Transfer-Encoding or Host).
    public func isNominatedByConnection(_ index: Int, in buffer: UnsafeRawBufferPointer) -> Bool {
        FramingFields.isNominated(index, fields, head.connectionTokensMask, buffer)
    }

    mutating func advance(_ buffer: UnsafeRawBufferPointer, _ method: HTTPMethod) throws(HTTPParseError) -> Bool {
        if !started {
            head = HTTPResponseHead()
            fields.removeAll(keepingCapacity: true)
            started = true
        }
        while true {
            switch cursor.next(buffer) {
            case .incomplete:
                if buffer.count >= limits.maxHeadBytes { throw .responseHeadTooLarge }
                return false
            case .bareLF:
                throw .invalidResponseHead
            case .line(let cr):
                if cr &+ 2 > limits.maxHeadBytes { throw .responseHeadTooLarge }
                if !inFieldLines {
                    try parseStatusLine(buffer, cr)
                    inFieldLines = true
                } else if cr == cursor.lineStart {
                    head.headLength = cr &+ 2
                    try finishHead(buffer, method)
                    return true
                } else {
                    if fields.count >= limits.maxFields { throw .responseHeadTooLarge }
                    do throws(HTTPParseError) {
                        fields.append(try FieldLine.parse(buffer, cursor.lineStart, cr))
                    } catch {
                        throw .invalidResponseHead
                    }
                }
                cursor.consume(through: cr)
            }
        }
    }

    /// `HTTP/1.x SP 3DIGIT SP [reason]`; a missing space after the code is tolerated because
    /// some servers omit it when the reason is empty, and it changes nothing about framing.
    mutating func parseStatusLine(_ buffer: UnsafeRawBufferPointer, _ cr: Int) throws(HTTPParseError) {
        guard cr >= 12, ByteClass.equals(buffer, 0, "HTTP/"), ByteClass.isDigit(buffer[5]), buffer[6] == 0x2E,
            ByteClass.isDigit(buffer[7]), buffer[8] == 0x20,
            ByteClass.isDigit(buffer[9]), ByteClass.isDigit(buffer[10]), ByteClass.isDigit(buffer[11])
        else { throw .invalidStatusLine }
        guard buffer[5] == 0x31, buffer[7] <= 0x31 else { throw .unsupportedResponseVersion }
        head.versionMinor = Int(buffer[7] &- 0x30)
        head.status = Int(buffer[9] &- 0x30) * 100 + Int(buffer[10] &- 0x30) * 10 + Int(buffer[11] &- 0x30)
        guard head.status >= 100, head.status < 600 else { throw .invalidStatusLine }
        if cr > 12 {
            guard buffer[12] == 0x20 else { throw .invalidStatusLine }
            for i in 13..<cr where !ByteClass.isFieldValueChar(buffer[i]) { throw .invalidStatusLine }
        }
        head.statusLineRange = 0..<cr
    }

    /// RFC 9112 section 6.3, in its order, except that Content-Length together with
    /// Transfer-Encoding is refused rather than resolved in favour of chunked: our backend
    /// sending both means something upstream is confused, and reusing that connection is
    /// how responses get desynchronized.
    mutating func finishHead(_ buffer: UnsafeRawBufferPointer, _ method: HTTPMethod) throws(HTTPParseError) {
        var hasContentLength = false
        var hasTransferEncoding = false
        var hasConnection = false
        for index in fields.indices {
            switch fields[index].name {
            case .contentLength: hasContentLength = true
            case .transferEncoding: hasTransferEncoding = true
            case .connection: hasConnection = true
            default: break
            }
        }
        if hasContentLength && hasTransferEncoding { throw .invalidResponseFraming }
        if hasTransferEncoding && head.versionMinor == 0 { throw .invalidResponseFraming }

        let status = head.status
        let noBody = status < 200 || status == 204 || status == 304 || method == .head
        var framing = BodyFraming.untilClose
        do throws(HTTPParseError) {
            if hasTransferEncoding {
                let codings = try FramingFields.transferCodings(buffer, fields)
                if codings.chunkedCount > 1 || (codings.chunkedCount == 1 && !codings.lastIsChunked) {
                    throw .invalidResponseFraming
                }
                // A final coding other than chunked: the body runs to close (rule 4).
                if codings.lastIsChunked { framing = .chunked }
            } else if let length = try FramingFields.contentLength(buffer, fields) {
                framing = .contentLength(length)
            }
        } catch {
            throw .invalidResponseFraming
        }
        head.framing = noBody ? .none : framing

        var options = FramingFields.ConnectionOptions()
        if hasConnection { options = FramingFields.connectionOptions(buffer, fields) }
        head.connectionTokensMask = options.mask
        head.isUpgrade = status == 101
        let persistent = head.versionMinor == 1 ? !options.close : options.keepAlive && !options.close
        head.keepAlive = persistent && head.framing != .untilClose && !head.isUpgrade
    }
}
