/// Parses one header field line (RFC 9112 section 5) into offsets.
///
/// Shared by the request and response parsers. The rejections here are the ones that let two
/// HTTP implementations disagree about a message, which is how request smuggling works:
/// whitespace before the colon, obs-fold, and control characters (bare CR, NUL) in values.
enum FieldLine {
    /// `buffer[start..<crIndex]` is the line without its CRLF; it is not empty.
    @inline(__always)
    static func parse(_ buffer: UnsafeRawBufferPointer, _ start: Int, _ crIndex: Int) throws(HTTPParseError) -> HeaderField {
        var i = start
        while i < crIndex, ByteClass.isTchar(buffer[i]) { i &+= 1 }
        let nameEnd = i
        guard i < crIndex, buffer[i] == 0x3A, i > start else {
            if i == start, ByteClass.isOWS(buffer[start]) { throw .obsFold }
            if i > start, i < crIndex, ByteClass.isOWS(buffer[i]) { throw .whitespaceBeforeColon }
            if i < crIndex, buffer[i] == 0x0D { throw .bareCR }
            throw .invalidFieldName
        }
        i &+= 1
        while i < crIndex, ByteClass.isOWS(buffer[i]) { i &+= 1 }
        let valueStart = i
        // Values are most of a head's bytes (cookies, user agents): check eight at a time and
        // look at single bytes only where a word holds a control character or a tab.
        if let base = buffer.baseAddress {
            while i &+ 8 <= crIndex {
                if ByteClass.mayHoldControl(base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) {
                    for k in i..<(i &+ 8) { try checkValueByte(buffer[k]) }
                }
                i &+= 8
            }
        }
        while i < crIndex {
            try checkValueByte(buffer[i])
            i &+= 1
        }
        var valueEnd = crIndex
        while valueEnd > valueStart, ByteClass.isOWS(buffer[valueEnd &- 1]) { valueEnd &-= 1 }
        return HeaderField(
            name: HeaderName.classify(buffer, start, nameEnd),
            nameStart: Int32(truncatingIfNeeded: start), nameEnd: Int32(truncatingIfNeeded: nameEnd),
            valueStart: Int32(truncatingIfNeeded: valueStart), valueEnd: Int32(truncatingIfNeeded: valueEnd),
            lineStart: Int32(truncatingIfNeeded: start), lineEnd: Int32(truncatingIfNeeded: crIndex &+ 2))
    }

    @inline(__always)
    static func checkValueByte(_ b: UInt8) throws(HTTPParseError) {
        guard ByteClass.isFieldValueChar(b) else { throw b == 0x0D ? .bareCR : .invalidFieldValue }
    }
}
