/// Character classes of RFC 9110/9112 as a 256-entry table, and byte comparisons on raw buffers.
///
/// The table is a string literal so it lives in read-only data: a class test is one load and
/// one bit test, with no array bounds check and no lazy global initialization (a `[UInt8]`
/// global would pay both on every byte of every head). Bit masks in registers measured slower
/// in the per-byte name loop than this load. `HTTPRequestParserTests` re-derives every class
/// from the RFC grammar, so the table cannot drift silently.
enum ByteClass {
    static let tchar: UInt8 = 1  // RFC 9110 section 5.6.2: method and field-name characters
    /// Request-target characters: visible ASCII except '#'. Broader than RFC 3986 on purpose:
    /// browsers send `{ } | ^ [ ] \`` raw in query strings (WHATWG URL encoding sets), and
    /// rejecting them would break real traffic without making forwarding any safer.
    static let target: UInt8 = 2
    /// Host name characters the parser lets through: letters, digits, '-', '_', '.'.
    static let host: UInt8 = 4
    /// field-vchar / SP / HTAB (RFC 9110 section 5.5): visible ASCII, obs-text, space, tab.
    static let fieldValue: UInt8 = 8

    @inline(__always)
    static var table: UnsafePointer<UInt8> {
        let classes: StaticString = """
            \u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{8}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\
            \u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\
            \u{8}\u{B}\u{A}\u{9}\u{B}\u{B}\u{B}\u{B}\u{A}\u{A}\u{B}\u{B}\u{A}\u{F}\u{F}\u{A}\
            \u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{A}\u{A}\u{A}\u{A}\u{A}\u{A}\
            \u{A}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\
            \u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{A}\u{A}\u{A}\u{B}\u{F}\
            \u{B}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\
            \u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{F}\u{A}\u{B}\u{A}\u{B}\u{0}\
            \u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\
            \u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\
            \u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\
            \u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\
            \u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\
            \u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\
            \u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\
            \u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}
            """
        return classes.utf8Start
    }

    @inline(__always)
    static func isIn(_ byte: UInt8, _ mask: UInt8) -> Bool { table[Int(byte)] & mask != 0 }

    @inline(__always) static func isTchar(_ b: UInt8) -> Bool { isIn(b, tchar) }
    @inline(__always) static func isTargetChar(_ b: UInt8) -> Bool { isIn(b, target) }
    @inline(__always) static func isHostChar(_ b: UInt8) -> Bool { isIn(b, host) }
    @inline(__always) static func isFieldValueChar(_ b: UInt8) -> Bool { isIn(b, fieldValue) }
    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }
    @inline(__always) static func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) &- 0x61 < 26 }
    @inline(__always) static func isOWS(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }

    /// The value of a hex digit, or nil.
    @inline(__always)
    static func hexValue(_ b: UInt8) -> UInt64? {
        if b &- 0x30 < 10 { return UInt64(b &- 0x30) }
        let folded = b | 0x20
        if folded &- 0x61 < 6 { return UInt64(folded &- 0x61 &+ 10) }
        return nil
    }

    /// ASCII lowercase of a byte (only letters change).
    @inline(__always)
    static func lower(_ b: UInt8) -> UInt8 { b &- 0x41 < 26 ? b | 0x20 : b }

    /// Whether `buffer[start...]` begins with `literal`, byte for byte. The caller guarantees room.
    @inline(__always)
    static func equals(_ buffer: UnsafeRawBufferPointer, _ start: Int, _ literal: StaticString) -> Bool {
        let p = literal.utf8Start
        for i in 0..<literal.utf8CodeUnitCount where buffer[start &+ i] != p[i] { return false }
        return true
    }

    /// Whether `buffer[start..<end]` equals the lowercase `literal` ignoring ASCII case; with
    /// `underscoreAsDash`, '_' in the buffer also matches '-' (the X_Tenant_Context spellings
    /// that CGI-style backends treat as the dashed name). Folding is `| 0x20`, exact here
    /// because literals hold only [a-z0-9-] and the only bytes that fold onto those besides
    /// the letters themselves are control characters, which never reach this compare ('_'
    /// folds to 0x7F, hence that mapping).
    @inline(__always)
    static func equalsFolded(
        _ buffer: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ literal: StaticString,
        underscoreAsDash: Bool = false
    ) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard end &- start == count else { return false }
        let p = literal.utf8Start
        for i in 0..<count {
            var b = buffer[start &+ i] | 0x20
            if underscoreAsDash, b == 0x7F { b = 0x2D }
            if b != p[i] { return false }
        }
        return true
    }

    /// True if any of the eight bytes in `word` is below 0x20 or is 0x7F (a control character
    /// or HTAB; bytes >= 0x80 are obs-text and never flagged). Exact as an existence test.
    @inline(__always)
    static func mayHoldControl(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let below20 = (word &- 0x2020_2020_2020_2020) & ~word
        let del = word ^ 0x7F7F_7F7F_7F7F_7F7F
        return (below20 | ((del &- ones) & ~del)) & highs != 0
    }

    /// Index of the first LF in `buffer[from..<buffer.count]`, or nil. Reads eight bytes at a
    /// time: heads are scanned for line ends before anything else, so this loop dominates.
    @inline(__always)
    static func firstLF(_ buffer: UnsafeRawBufferPointer, from: Int) -> Int? {
        var i = from
        let count = buffer.count
        guard i < count, let base = buffer.baseAddress else { return nil }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let lfs: UInt64 = 0x0A0A_0A0A_0A0A_0A0A
        while i &+ 8 <= count {
            let x = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) ^ lfs
            let found = (x &- ones) & ~x & highs
            if found != 0 { return i &+ found.trailingZeroBitCount >> 3 }
            i &+= 8
        }
        while i < count {
            if buffer[i] == 0x0A { return i }
            i &+= 1
        }
        return nil
    }
}
