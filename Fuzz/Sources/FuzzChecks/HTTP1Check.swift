import TenantEdgeCore

/// The HTTP/1.1 request parser on arbitrary bytes. Beyond "no crash":
/// - every range it reports lies inside the head, field lines are in order and their names
///   and values hold only the bytes RFC 9112 allows;
/// - the head read all at once and the same bytes fed in pieces give the same result (the
///   resumable line cursor);
/// - a head that parses, written out again in canonical form, parses to the same decisions
///   (method, target, host, framing, connection options): nothing depends on spelling;
/// - the head the proxy forwards (`UpstreamRequestWriter`) parses, has the same framing,
///   exactly one Host that is the routing host, and none of the spoofable fields.
public enum HTTP1Check {
    /// Small limits as well, so the limit paths are reached with small inputs.
    static let tight = HTTPLimits(maxHeadBytes: 300, maxRequestLineBytes: 80, maxFields: 6)

    public static func run(_ data: UnsafeRawBufferPointer) {
        for limits in [HTTPLimits.default, tight] {
            var parser = HTTPRequestParser(limits: limits)
            let result = parser.parse(data)
            checkIncremental(data, limits: limits, expected: result, expectedParser: parser)
            guard result == .complete else { continue }
            checkRanges(data, parser, limits: limits)
            checkCanonical(data, parser)
            checkForwarded(data, parser)
            checkPipelined(data, limits: limits, headLength: parser.head.headLength)
        }
    }

    static func checkRanges(_ data: UnsafeRawBufferPointer, _ parser: HTTPRequestParser, limits: HTTPLimits) {
        let head = parser.head
        let end = head.headLength
        require(end >= 4 && end <= data.count, "headLength \(end) outside 4...\(data.count)")
        require(end <= limits.maxHeadBytes, "head of \(end) bytes passed a limit of \(limits.maxHeadBytes)")
        require(Array(data[(end - 4)..<end]) == [13, 10, 13, 10], "head does not end in CRLFCRLF: \(show(data))")
        func inside(_ range: Range<Int>?, _ what: String) {
            guard let range else { return }
            require(range.lowerBound >= 0 && range.upperBound <= end, "\(what) \(range) outside the head 0..<\(end)")
        }
        inside(head.methodRange, "method")
        inside(head.targetRange, "target")
        inside(head.originFormRange, "origin-form")
        inside(head.hostRange, "host")
        inside(head.authorityRange, "authority")
        inside(head.routingHostRange, "routing host")
        require(!head.methodRange.isEmpty && head.methodRange.upperBound < head.targetRange.lowerBound,
                "method \(head.methodRange) not before target \(head.targetRange)")
        require(!head.originFormRange.isEmpty && head.originFormRange.lowerBound >= head.targetRange.lowerBound
                && head.originFormRange.upperBound <= head.targetRange.upperBound, "origin-form outside the target")
        let firstTarget = data[head.originFormRange.lowerBound]
        require(firstTarget == UInt8(ascii: "/") || (firstTarget == UInt8(ascii: "*") && head.originFormRange.count == 1),
                "origin-form does not start with / or is not *: \(show(data))")
        for index in head.targetRange {
            let byte = data[index]
            require(byte > 0x20 && byte < 0x7F, "target holds byte \(byte)")
        }
        if head.isAbsoluteForm {
            require(head.authorityRange != nil && head.routingHostRange == head.authorityRange, "absolute-form routes by its authority")
        } else {
            require(head.authorityRange == nil, "authority without absolute-form")
            require(head.routingHostRange == (head.hostRange ?? 0..<0), "routing host is not the Host value")
        }
        require(head.versionMinor == 0 || head.versionMinor == 1, "version 1.\(head.versionMinor)")
        require(head.versionMinor == 0 || head.hostRange != nil, "HTTP/1.1 without Host completed")
        require(parser.fields.count <= limits.maxFields, "\(parser.fields.count) fields passed a limit of \(limits.maxFields)")

        var previousEnd = head.targetRange.upperBound
        var hosts = 0, contentLengths = 0, transferEncodings = 0
        for field in parser.fields {
            inside(field.lineRange, "field line")
            require(field.lineStart >= previousEnd, "field lines overlap or go backwards")
            previousEnd = field.lineRange.upperBound
            require(field.nameRange.lowerBound == field.lineRange.lowerBound && !field.nameRange.isEmpty, "field name not at line start")
            require(field.valueRange.lowerBound > field.nameRange.upperBound && field.valueRange.upperBound <= field.lineRange.upperBound - 2,
                    "value \(field.valueRange) outside line \(field.lineRange)")
            require(data[field.nameRange.upperBound] == UInt8(ascii: ":"), "no colon after the name")
            require(Array(data[(field.lineRange.upperBound - 2)..<field.lineRange.upperBound]) == [13, 10], "line does not end in CRLF")
            for index in field.valueRange {
                let byte = data[index]
                require(byte == 0x09 || (byte >= 0x20 && byte != 0x7F), "value holds control byte \(byte): \(show(data))")
            }
            if let first = field.valueRange.first {
                require(data[first] != 0x20 && data[first] != 0x09, "value not trimmed at start")
                require(data[field.valueRange.upperBound - 1] != 0x20 && data[field.valueRange.upperBound - 1] != 0x09, "value not trimmed at end")
            }
            let name = UnsafeRawBufferPointer(rebasing: data[field.nameRange])
            require(HeaderName.classify(name) == field.name, "field name classified differently on its own")
            switch field.name {
            case .host: hosts += 1
            case .contentLength: contentLengths += 1
            case .transferEncoding: transferEncodings += 1
            default: break
            }
        }
        require(hosts <= 1, "\(hosts) Host fields accepted")
        switch head.framing {
        case .chunked:
            require(transferEncodings > 0 && contentLengths == 0 && head.versionMinor == 1, "chunked framing without a lone TE in 1.1")
        case .contentLength:
            require(contentLengths > 0 && transferEncodings == 0, "CL framing without a lone CL")
        case .none:
            require(contentLengths == 0 && transferEncodings == 0, "no framing although CL or TE is present")
        case .untilClose:
            require(false, "a request framed until close")
        }
    }

    /// Feeding the bytes in growing prefixes (as reads deliver them) must end the same way.
    static func checkIncremental(_ data: UnsafeRawBufferPointer, limits: HTTPLimits, expected: HeadParseResult,
                                 expectedParser: HTTPRequestParser) {
        guard data.count > 1 else { return }
        var parser = HTTPRequestParser(limits: limits)
        var length = 0
        var seed = UInt32(truncatingIfNeeded: data.count) &* 2_654_435_761
        var result = HeadParseResult.incomplete
        while length < data.count {
            seed = seed &* 1_103_515_245 &+ 12345
            length = min(data.count, length + 1 + Int(seed >> 16) % 9)
            result = parser.parse(UnsafeRawBufferPointer(rebasing: data[0..<length]))
            if result != .incomplete { break }
        }
        require(result == expected, "in pieces: \(result), at once: \(expected) for \(show(data))")
        if result == .complete {
            require(parser.head == expectedParser.head && parser.fields == expectedParser.fields,
                    "in pieces the head differs: \(show(data))")
        }
    }

    /// The canonical spelling: single spaces, "Name: value", nothing before the request line.
    static func checkCanonical(_ data: UnsafeRawBufferPointer, _ parser: HTTPRequestParser) {
        let head = parser.head
        var out: [UInt8] = []
        out += data[head.methodRange]
        out.append(0x20)
        out += data[head.targetRange]
        out += Array(" HTTP/1.\(head.versionMinor)\r\n".utf8)
        for field in parser.fields {
            out += data[field.nameRange]
            out += [0x3A, 0x20]
            out += data[field.valueRange]
            out += [0x0D, 0x0A]
        }
        out += [0x0D, 0x0A]
        out.withUnsafeBytes { canonical in
            var again = HTTPRequestParser()
            let result = again.parse(canonical)
            require(result == .complete, "canonical form \(show(canonical)) of \(show(data)) does not parse: \(result)")
            let other = again.head
            require(other.method == head.method && other.versionMinor == head.versionMinor
                    && other.framing == head.framing && other.keepAlive == head.keepAlive
                    && other.upgrade == head.upgrade && other.expectContinue == head.expectContinue
                    && other.isAbsoluteForm == head.isAbsoluteForm
                    && other.connectionTokensMask == head.connectionTokensMask,
                    "canonical form decides differently: \(show(canonical)) vs \(show(data))")
            require(same(canonical, other.originFormRange, data, head.originFormRange), "origin-form differs in canonical form")
            require(same(canonical, other.routingHostRange, data, head.routingHostRange), "routing host differs in canonical form")
            require(again.fields.count == parser.fields.count, "field count differs in canonical form")
            for (a, b) in zip(again.fields, parser.fields) {
                require(a.name == b.name && same(canonical, a.valueRange, data, b.valueRange), "a field differs in canonical form")
            }
        }
    }

    /// What the backend receives parses to the same request, with a single Host that is the
    /// routing host and nothing a client may not send it.
    static func checkForwarded(_ data: UnsafeRawBufferPointer, _ parser: HTTPRequestParser) {
        let head = parser.head
        var isIPLiteral = false
        var normalized: [UInt8] = []
        // The server answers 400 when the routing host does not normalize; nothing is forwarded.
        guard HostNormalizer.normalize(UnsafeRawBufferPointer(rebasing: data[head.routingHostRange]),
                                       into: &normalized, isIPLiteral: &isIPLiteral) == nil else { return }
        for storeHost in [true, false] {
            for trustedHop in [false, true] {
                var out: [UInt8] = []
                UpstreamRequestWriter.begin(into: &out, head: head, fields: parser.fields, buffer: data,
                                            storeHost: storeHost, parser: parser, trustedHop: trustedHop)
                UpstreamRequestWriter.finish(into: &out)
                out.withUnsafeBytes { forwarded in
                    var again = HTTPRequestParser()
                    let result = again.parse(forwarded)
                    require(result == .complete, "forwarded head \(show(forwarded)) does not parse: \(result); client sent \(show(data))")
                    let other = again.head
                    require(other.headLength == forwarded.count, "forwarded head has bytes after its end")
                    require(other.framing == head.framing, "forwarded framing \(other.framing) differs from \(head.framing): \(show(forwarded))")
                    require(other.method == head.method && !other.isAbsoluteForm, "forwarded method or target form differs")
                    require(other.upgrade == head.upgrade, "forwarded upgrade differs: \(show(forwarded))")
                    require(same(forwarded, other.originFormRange, data, head.originFormRange), "forwarded target differs")
                    require(other.hostRange != nil && same(forwarded, other.hostRange!, data, head.routingHostRange),
                            "forwarded Host is not the routing host: \(show(forwarded))")
                    for field in again.fields {
                        switch field.name {
                        case .xTenantContext, .xForwardedFor, .xForwardedHost, .xForwardedPort, .forwarded,
                             .keepAlive, .proxyConnection, .te, .trailer, .proxyAuthorization, .proxyAuthenticate:
                            require(false, "forwarded head keeps \(field.name): \(show(forwarded))")
                        case .xStoreId, .xStoreSlug:
                            require(!storeHost, "a store host's forwarded head keeps \(field.name)")
                        case .xForwardedProto, .xRequestId:
                            require(trustedHop, "forwarded head keeps \(field.name) from an untrusted client")
                        case .connection:
                            require(head.upgrade, "forwarded head keeps a client's Connection")
                        default:
                            break
                        }
                    }
                }
            }
        }
    }

    /// A second request right after the first (after its body when it has a known length)
    /// parses the same as it does alone: the first head never bleeds into the next.
    static func checkPipelined(_ data: UnsafeRawBufferPointer, limits: HTTPLimits, headLength: Int) {
        let rest = UnsafeRawBufferPointer(rebasing: data[headLength...])
        guard !rest.isEmpty else { return }
        var fresh = HTTPRequestParser(limits: limits)
        let alone = fresh.parse(rest)
        var reused = HTTPRequestParser(limits: limits)
        _ = reused.parse(data)
        let next = reused.parse(rest)
        require(next == alone && (next != .complete || (reused.head == fresh.head && reused.fields == fresh.fields)),
                "a pipelined head parses differently after another one: \(show(data))")
    }

    static func same(_ a: UnsafeRawBufferPointer, _ ra: Range<Int>, _ b: UnsafeRawBufferPointer, _ rb: Range<Int>) -> Bool {
        ra.count == rb.count && a[ra].elementsEqual(b[rb])
    }
}
