/// One header field line, as offsets into the buffer its head was parsed from.
///
/// Offsets, not copies: the proxy forwards header bytes verbatim and cuts stripped lines out
/// by `lineStart..<lineEnd` (DESIGN.md section 2), so nothing here owns memory. `Int32` keeps
/// the struct at 28 bytes; heads are bounded by `HTTPLimits.maxHeadBytes`, far below 2^31.
public struct HeaderField: Sendable, Equatable {
    /// The classified name, so rewriting needs no string compares.
    public var name: HeaderName
    public var nameStart: Int32
    public var nameEnd: Int32
    /// The value with leading and trailing optional whitespace trimmed (RFC 9112 section 5.1).
    public var valueStart: Int32
    public var valueEnd: Int32
    /// The whole line including its CRLF.
    public var lineStart: Int32
    public var lineEnd: Int32

    public init(
        name: HeaderName, nameStart: Int32, nameEnd: Int32, valueStart: Int32, valueEnd: Int32,
        lineStart: Int32, lineEnd: Int32
    ) {
        self.name = name
        self.nameStart = nameStart
        self.nameEnd = nameEnd
        self.valueStart = valueStart
        self.valueEnd = valueEnd
        self.lineStart = lineStart
        self.lineEnd = lineEnd
    }

    public var nameRange: Range<Int> { Int(nameStart)..<Int(nameEnd) }
    public var valueRange: Range<Int> { Int(valueStart)..<Int(valueEnd) }
    public var lineRange: Range<Int> { Int(lineStart)..<Int(lineEnd) }
}
