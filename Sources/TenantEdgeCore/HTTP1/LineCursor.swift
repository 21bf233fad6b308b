/// Finds the CRLF-terminated lines of a head that arrives in pieces.
///
/// It remembers how far it has already searched, so a head fed one byte per read is still
/// scanned in linear time: re-scanning from the start on every read would let a slow client
/// burn O(n^2) CPU on a 32 KiB head. The price is a precondition: between calls the bytes
/// already seen must stay in place at the start of the buffer.
struct LineCursor: Sendable {
    enum Step {
        /// A complete line from `lineStart` to `crIndex` (exclusive); its CRLF follows.
        case line(crIndex: Int)
        case incomplete
        /// A line ended by LF without CR (RFC 9112 section 2.2 allows rejecting; we must,
        /// because peers that disagree on line ends disagree on where headers end). The LF's
        /// position lets a caller put its length limit first, as it does for the other cases.
        case bareLF(lfIndex: Int)
    }

    var lineStart = 0
    var searchFrom = 0

    mutating func reset() {
        lineStart = 0
        searchFrom = 0
    }

    @inline(__always)
    mutating func next(_ buffer: UnsafeRawBufferPointer) -> Step {
        guard let lf = ByteClass.firstLF(buffer, from: max(searchFrom, lineStart)) else {
            searchFrom = buffer.count
            return .incomplete
        }
        guard lf > lineStart, buffer[lf &- 1] == 0x0D else { return .bareLF(lfIndex: lf) }
        return .line(crIndex: lf &- 1)
    }

    /// Moves past the line whose CR is at `crIndex`.
    @inline(__always)
    mutating func consume(through crIndex: Int) {
        lineStart = crIndex &+ 2
        searchFrom = lineStart
    }
}
