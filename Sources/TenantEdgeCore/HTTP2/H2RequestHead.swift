/// An HTTP/2 request's header block, collected field by field as nghttp2 decodes it, then
/// written out as the HTTP/1.1 head the backend receives.
///
/// nghttp2 has already enforced HTTP/2's own rules (lowercase names, pseudo-header order,
/// no connection-specific fields, content-length against DATA); what is checked here is
/// what matters for routing: the pseudo-headers a request needs, and `:authority` and
/// `Host` naming the same host (RFC 9113 section 8.3.1), since a disagreement is a way to
/// route by one name while the backend sees another. The same fields are cut as for
/// HTTP/1.1 (`UpstreamRequestWriter.strips`). Storage keeps its capacity across streams.
public struct H2RequestHead: Sendable {
    public enum Problem: Error, Equatable, Sendable {
        case missingPseudoHeader
        case authorityHostMismatch
        case tooLarge
        case unsupportedMethod
    }

    struct Field: Sendable {
        var name: HeaderName
        var nameRange: Range<Int>
        var valueRange: Range<Int>
    }

    private var storage: [UInt8] = []
    private var fields: [Field] = []
    private var methodRange: Range<Int>?
    private var schemeRange: Range<Int>?
    private var authorityRange: Range<Int>?
    private var pathRange: Range<Int>?
    private var hostRange: Range<Int>?
    private var cookieCount = 0
    public private(set) var method: HTTPMethod = .get
    public private(set) var hasContentLength = false
    /// Bounds the header list a client can make us hold (HPACK can expand a small frame).
    public let maxBytes: Int

    public init(maxBytes: Int = 64 * 1024) {
        self.maxBytes = maxBytes
        storage.reserveCapacity(1024)
    }

    public mutating func reset() {
        storage.removeAll(keepingCapacity: true)
        fields.removeAll(keepingCapacity: true)
        methodRange = nil
        schemeRange = nil
        authorityRange = nil
        pathRange = nil
        hostRange = nil
        cookieCount = 0
        method = .get
        hasContentLength = false
    }

    public mutating func add(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Problem? {
        guard storage.count + name.count + value.count + 32 <= maxBytes else { return .tooLarge }
        let nameStart = storage.count
        storage.append(contentsOf: name)
        let valueStart = storage.count
        storage.append(contentsOf: value)
        let nameRange = nameStart..<valueStart
        let valueRange = valueStart..<storage.count
        if name.first == UInt8(ascii: ":") {
            switch name.count {
            case 5 where name[1] == UInt8(ascii: "p"): pathRange = valueRange
            case 7 where name[1] == UInt8(ascii: "m"):
                methodRange = valueRange
                method = storage.withUnsafeBytes { HTTPMethod.classify($0, valueRange.lowerBound, valueRange.upperBound) }
            case 7 where name[1] == UInt8(ascii: "s"): schemeRange = valueRange
            case 10: authorityRange = valueRange
            default: break
            }
            return nil
        }
        let kind = HeaderName.classify(name)
        if kind == .host { hostRange = valueRange }
        if kind == .contentLength { hasContentLength = true }
        if name.count == 6 && name.elementsEqual("cookie".utf8) { cookieCount += 1 }
        fields.append(Field(name: kind, nameRange: nameRange, valueRange: valueRange))
        return nil
    }

    /// Checks the block once it is complete.
    public func validate() -> Problem? {
        guard methodRange != nil else { return .missingPseudoHeader }
        if method == .connect { return .unsupportedMethod }
        guard pathRange != nil, schemeRange != nil else { return .missingPseudoHeader }
        guard authorityRange != nil || hostRange != nil else { return .missingPseudoHeader }
        if let authority = authorityRange, let host = hostRange {
            let same = storage.withUnsafeBytes { bytes in
                authority.count == host.count
                    && zip(authority, host).allSatisfy { bytes[$0.0] | 0x20 == bytes[$0.1] | 0x20 }
            }
            if !same { return .authorityHostMismatch }
        }
        return nil
    }

    /// The host to route by: `:authority`, else `Host`.
    public func withRoutingHost<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        let range = authorityRange ?? hostRange ?? 0..<0
        return storage.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[range])) }
    }

    public func withPath<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        let range = pathRange ?? 0..<0
        return storage.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[range])) }
    }

    /// The first `accept` value, for choosing JSON or HTML error pages.
    public func withAccept<R>(_ body: (UnsafeRawBufferPointer?) -> R) -> R {
        storage.withUnsafeBytes { bytes in
            for field in fields where field.nameRange.count == 6 && bytes[field.nameRange.lowerBound] == UInt8(ascii: "a") {
                if UnsafeRawBufferPointer(rebasing: bytes[field.nameRange]).elementsEqual("accept".utf8) {
                    return body(UnsafeRawBufferPointer(rebasing: bytes[field.valueRange]))
                }
            }
            return body(nil)
        }
    }

    /// Writes the HTTP/1.1 request line and the surviving fields into `out` (emptied
    /// first). `chunkedBody`: the stream has a body of unknown length, which HTTP/1.1 can
    /// only carry chunked. Cookie crumbs are joined with "; " (RFC 9113 section 8.2.3).
    /// The caller appends its own fields and the final CRLF.
    public func write(into out: inout [UInt8], storeHost: Bool, chunkedBody: Bool) {
        out.removeAll(keepingCapacity: true)
        storage.withUnsafeBytes { bytes in
            func append(_ range: Range<Int>) { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[range])) }
            append(methodRange ?? 0..<0)
            out.append(0x20)
            append(pathRange ?? 0..<0)
            out.append(contentsOf: " HTTP/1.1\r\nHost: ".utf8)
            append(authorityRange ?? hostRange ?? 0..<0)
            out.append(contentsOf: "\r\n".utf8)
            var wroteCookie = false
            for field in fields {
                if field.name == .host || UpstreamRequestWriter.strips(field.name, storeHost: storeHost, upgrade: false) {
                    continue
                }
                let isCookie = cookieCount > 1 && field.nameRange.count == 6
                    && UnsafeRawBufferPointer(rebasing: bytes[field.nameRange]).elementsEqual("cookie".utf8)
                if isCookie {
                    if wroteCookie { continue }
                    wroteCookie = true
                    out.append(contentsOf: "cookie: ".utf8)
                    var first = true
                    for crumb in fields where crumb.nameRange.count == 6
                        && UnsafeRawBufferPointer(rebasing: bytes[crumb.nameRange]).elementsEqual("cookie".utf8) {
                        if !first { out.append(contentsOf: "; ".utf8) }
                        first = false
                        append(crumb.valueRange)
                    }
                    out.append(contentsOf: "\r\n".utf8)
                    continue
                }
                append(field.nameRange)
                out.append(contentsOf: ": ".utf8)
                append(field.valueRange)
                out.append(contentsOf: "\r\n".utf8)
            }
            if chunkedBody && !hasContentLength {
                out.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8)
            }
        }
    }
}
