/// Reads the fields that decide framing and connection reuse: Content-Length,
/// Transfer-Encoding and Connection. Shared by both parsers, which apply their own rules
/// (a request rejects what a response may read until close).
enum FramingFields {
    /// Calls `body(start, end)` for each non-empty element of a comma-separated list value,
    /// trimmed of OWS. Empty elements are skipped (RFC 9110 section 5.6.1).
    @inline(__always)
    static func forEachElement<E: Error>(
        _ buffer: UnsafeRawBufferPointer, _ field: HeaderField, _ body: (Int, Int) throws(E) -> Void
    ) throws(E) {
        var i = Int(field.valueStart)
        let end = Int(field.valueEnd)
        while i < end {
            while i < end, ByteClass.isOWS(buffer[i]) { i &+= 1 }
            let start = i
            while i < end, buffer[i] != 0x2C { i &+= 1 }
            var last = i
            while last > start, ByteClass.isOWS(buffer[last &- 1]) { last &-= 1 }
            if last > start { try body(start, last) }
            i &+= 1
        }
    }

    /// The Content-Length of all CL fields together, or nil if there is none. A list of
    /// identical values ("5, 5", or the same value in two fields) is one length (RFC 9112
    /// section 6.3 rule 5); anything else is `.invalidContentLength`. Values are capped below
    /// 2^62 so arithmetic on them can never overflow.
    static func contentLength(_ buffer: UnsafeRawBufferPointer, _ fields: [HeaderField]) throws(HTTPParseError) -> UInt64? {
        var length: UInt64?
        for field in fields where field.name == .contentLength {
            // Checked here rather than by forEachElement: "Content-Length: , 5" or an empty
            // value is not a number, and quietly ignoring it would be a framing disagreement.
            var i = Int(field.valueStart)
            let end = Int(field.valueEnd)
            while true {
                let start = i
                var value: UInt64 = 0
                while i < end, ByteClass.isDigit(buffer[i]) {
                    guard value < (1 << 58) else { throw .invalidContentLength }
                    value = value &* 10 &+ UInt64(buffer[i] &- 0x30)
                    i &+= 1
                }
                guard i > start else { throw .invalidContentLength }
                if let length, length != value { throw .invalidContentLength }
                length = value
                while i < end, ByteClass.isOWS(buffer[i]) { i &+= 1 }
                if i == end { break }
                guard buffer[i] == 0x2C else { throw .invalidContentLength }
                i &+= 1
                while i < end, ByteClass.isOWS(buffer[i]) { i &+= 1 }
            }
        }
        return length
    }

    /// What the Transfer-Encoding fields say, in order across all of them.
    struct Codings {
        var count = 0
        var chunkedCount = 0
        var lastIsChunked = false
        /// A coding other than chunked/gzip/x-gzip/deflate/compress/x-compress.
        var hasUnknown = false
        /// gzip, deflate or compress: known, but not something the proxy applies or removes.
        var hasOtherKnown = false
    }

    static func transferCodings(_ buffer: UnsafeRawBufferPointer, _ fields: [HeaderField]) throws(HTTPParseError) -> Codings {
        var codings = Codings()
        for field in fields where field.name == .transferEncoding {
            try forEachElement(buffer, field) { (start, end) throws(HTTPParseError) in
                var i = start
                while i < end, ByteClass.isTchar(buffer[i]) { i &+= 1 }
                let nameEnd = i
                guard nameEnd > start else { throw .invalidTransferEncoding }
                while i < end, ByteClass.isOWS(buffer[i]) { i &+= 1 }
                let hasParameters = i < end
                if hasParameters {
                    guard buffer[i] == 0x3B else { throw .invalidTransferEncoding }
                }
                codings.count &+= 1
                if ByteClass.equalsFolded(buffer, start, nameEnd, "chunked") {
                    // chunked takes no parameters (RFC 9112 section 7.1).
                    guard !hasParameters else { throw .invalidTransferEncoding }
                    codings.chunkedCount &+= 1
                    codings.lastIsChunked = true
                    return
                }
                codings.lastIsChunked = false
                if ByteClass.equalsFolded(buffer, start, nameEnd, "gzip")
                    || ByteClass.equalsFolded(buffer, start, nameEnd, "x-gzip")
                    || ByteClass.equalsFolded(buffer, start, nameEnd, "deflate")
                    || ByteClass.equalsFolded(buffer, start, nameEnd, "compress")
                    || ByteClass.equalsFolded(buffer, start, nameEnd, "x-compress")
                {
                    codings.hasOtherKnown = true
                } else {
                    codings.hasUnknown = true
                }
            }
        }
        guard codings.count > 0 else { throw .invalidTransferEncoding }
        return codings
    }

    /// The Connection tokens that matter: "close", "keep-alive", "upgrade", and which fields
    /// they name (RFC 9110 section 7.6.1).
    struct ConnectionOptions {
        var close = false
        var keepAlive = false
        var upgrade = false
        var mask: UInt32 = 0
    }

    static func connectionOptions(_ buffer: UnsafeRawBufferPointer, _ fields: [HeaderField]) -> ConnectionOptions {
        var options = ConnectionOptions()
        for field in fields where field.name == .connection {
            forEachElement(buffer, field) { (start, end) in
                let name = HeaderName.classify(buffer, start, end)
                switch name {
                case .keepAlive: options.keepAlive = true
                case .upgrade: options.upgrade = true
                case .other:
                    // "close" is an option, not a field name: the field name "Close" is
                    // reserved (RFC 9110 section 18.4), so it needs no per-field compare.
                    if ByteClass.equalsFolded(buffer, start, end, "close") {
                        options.close = true
                        return
                    }
                default: break
                }
                options.mask |= name.maskBit
            }
        }
        return options
    }

    /// Whether a Connection token names `fields[index]`, so it must not be forwarded.
    /// Host, Content-Length and Transfer-Encoding are never nominated: dropping them because a
    /// peer listed them would change the framing or the routing of what we forward (a known
    /// smuggling trick); the proxy handles them itself.
    static func isNominated(
        _ index: Int, _ fields: [HeaderField], _ mask: UInt32, _ buffer: UnsafeRawBufferPointer
    ) -> Bool {
        let field = fields[index]
        switch field.name {
        case .host, .contentLength, .transferEncoding:
            return false
        case .other:
            guard mask & 1 != 0 else { return false }
            let nameStart = Int(field.nameStart)
            let nameLength = Int(field.nameEnd) &- nameStart
            var found = false
            for connection in fields where connection.name == .connection && !found {
                forEachElement(buffer, connection) { (start, end) in
                    guard !found, end &- start == nameLength else { return }
                    for k in 0..<nameLength
                    where ByteClass.lower(buffer[start &+ k]) != ByteClass.lower(buffer[nameStart &+ k]) {
                        return
                    }
                    found = true
                }
            }
            return found
        default:
            return mask & field.name.maskBit != 0
        }
    }
}
