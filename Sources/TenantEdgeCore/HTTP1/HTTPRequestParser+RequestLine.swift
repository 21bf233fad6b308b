/// The request line: `method SP request-target SP HTTP-version` (RFC 9112 section 3).
///
/// Single spaces only: a parser that accepts other whitespace sees different targets than
/// one that doesn't, and the proxy forwards what it routed by.
extension HTTPRequestParser {
    mutating func parseRequestLine(_ buffer: UnsafeRawBufferPointer, _ start: Int, _ end: Int) throws(HTTPParseError) {
        var i = start
        while i < end, ByteClass.isTchar(buffer[i]) { i &+= 1 }
        guard i > start, i < end, buffer[i] == 0x20 else {
            throw i < end && buffer[i] == 0x0D ? .bareCR : .invalidMethod
        }
        head.methodRange = start..<i
        head.method = HTTPMethod.classify(buffer, start, i)
        if head.method == .connect { throw .connectNotSupported }

        let targetStart = i &+ 1
        i = targetStart
        while i < end, ByteClass.isTargetChar(buffer[i]) { i &+= 1 }
        guard i > targetStart, i < end, buffer[i] == 0x20 else {
            throw i < end && buffer[i] == 0x0D ? .bareCR : .invalidTarget
        }
        let targetEnd = i
        head.targetRange = targetStart..<targetEnd

        try parseVersion(buffer, targetEnd &+ 1, end)
        try parseTargetForm(buffer, targetStart, targetEnd)
    }

    /// `HTTP/` DIGIT `.` DIGIT: well-formed but not 1.0/1.1 is 505, anything else 400.
    mutating func parseVersion(_ buffer: UnsafeRawBufferPointer, _ start: Int, _ end: Int) throws(HTTPParseError) {
        guard end &- start == 8, ByteClass.equals(buffer, start, "HTTP/"),
            ByteClass.isDigit(buffer[start &+ 5]), buffer[start &+ 6] == 0x2E, ByteClass.isDigit(buffer[start &+ 7])
        else { throw .invalidVersion }
        let major = buffer[start &+ 5] &- 0x30
        let minor = buffer[start &+ 7] &- 0x30
        guard major == 1, minor <= 1 else { throw .unsupportedVersion }
        head.versionMinor = Int(minor)
    }

    /// origin-form, absolute-form (routes by its authority), or asterisk-form for OPTIONS.
    /// authority-form belongs to CONNECT, which is refused before this.
    mutating func parseTargetForm(_ buffer: UnsafeRawBufferPointer, _ start: Int, _ end: Int) throws(HTTPParseError) {
        let first = buffer[start]
        if first == 0x2F {  // '/'
            head.originFormRange = start..<end
            return
        }
        if first == 0x2A {  // '*'
            guard end &- start == 1, head.method == .options else { throw .invalidTarget }
            head.originFormRange = start..<end
            return
        }
        // absolute-form: only http and https URIs name something this proxy can serve.
        var i = start
        while i < end, ByteClass.isAlpha(buffer[i]) { i &+= 1 }
        let schemeLength = i &- start
        guard i &+ 3 <= end, buffer[i] == 0x3A, buffer[i &+ 1] == 0x2F, buffer[i &+ 2] == 0x2F,
            (schemeLength == 4 && ByteClass.equalsFolded(buffer, start, i, "http"))
                || (schemeLength == 5 && ByteClass.equalsFolded(buffer, start, i, "https"))
        else { throw .invalidTarget }
        let secondSlash = i &+ 2
        let authorityStart = i &+ 3
        i = authorityStart
        while i < end, buffer[i] != 0x2F, buffer[i] != 0x3F { i &+= 1 }
        guard HostSyntax.isValid(buffer, authorityStart, i) else { throw .invalidHost }
        if i == end {
            // No path: the second slash of "//" stands in for "/", so the range stays a slice
            // of the buffer and forwarding never builds bytes.
            head.originFormRange = secondSlash..<(secondSlash &+ 1)
        } else if buffer[i] == 0x2F {
            head.originFormRange = i..<end
        } else {
            // "http://host?q" would need "/?q", which is no slice of the buffer; such targets
            // are vanishingly rare, and refusing them keeps originFormRange a plain range.
            throw .invalidTarget
        }
        head.isAbsoluteForm = true
        head.authorityRange = authorityStart..<i
    }
}
