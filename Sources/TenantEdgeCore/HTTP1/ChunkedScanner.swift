/// Validates the chunked framing of a body that is passed through verbatim, and finds its end
/// (RFC 9112 section 7.1).
///
/// The proxy never de-chunks: it forwards the bytes as they came, so all it must know is where
/// the body ends and that the framing is exactly what the next hop will also see. That is why
/// it is strict where lenient parsers differ (bare LF, junk after the size, oversized sizes):
/// each such difference is a way to smuggle a second request inside a body.
///
/// A byte-driven state machine, so bytes may arrive split anywhere, even one at a time. Data
/// bytes are skipped in bulk; only the framing lines are looked at byte by byte. After `.done`
/// the scanner is ready for the next body; after `.error` it keeps returning that error.
public struct ChunkedScanner: Sendable {
    enum State: Sendable {
        case sizeStart          // first hex digit of a chunk-size
        case size               // more hex digits, or what follows them
        case extensions         // after ';' or whitespace, up to CR
        case sizeLF             // LF after the size line's CR
        case data               // `remaining` data bytes
        case dataCR, dataLF     // CRLF after the data
        case trailerLineStart   // a trailer field line, or the final CRLF
        case trailerLine        // inside a trailer field line, up to CR
        case trailerLF          // LF after a trailer line's CR
        case finalLF            // LF of the final CRLF
        case failed(HTTPParseError)
    }

    let maxChunkExtLength: Int
    let maxTrailerBytes: Int
    var state = State.sizeStart
    var size: UInt64 = 0
    var sizeDigits = 0
    var remaining: UInt64 = 0
    var extLength = 0
    var trailerBytes = 0
    /// Set when the final CRLF was consumed; the state is already reset for the next body.
    var finishedBody = false

    /// Longest chunk-size in digits. Leading zeros are legal, but an endless run of them would
    /// keep a connection busy with no data; 32 is far more than a real peer sends.
    static let maxSizeDigits = 32
    /// Chunk sizes stay below 2^62, so no arithmetic on them can overflow.
    static let maxChunkSize: UInt64 = (1 << 62) - 1

    public init(maxChunkExtLength: Int = 4096, maxTrailerBytes: Int = 8192) {
        self.maxChunkExtLength = maxChunkExtLength
        self.maxTrailerBytes = maxTrailerBytes
    }

    /// Feed the next bytes of the body.
    public mutating func scan(_ bytes: UnsafeRawBufferPointer) -> ChunkedScanResult {
        if case .failed(let error) = state { return .error(error) }
        var i = 0
        let count = bytes.count
        while i < count {
            if case .data = state {
                let available = UInt64(count &- i)
                if remaining > available {
                    remaining &-= available
                    return .needMore
                }
                i &+= Int(remaining)
                remaining = 0
                state = .dataCR
                continue
            }
            let byte = bytes[i]
            i &+= 1
            if let error = step(byte) {
                state = .failed(error)
                return .error(error)
            }
            if case .sizeStart = state, finishedBody {
                finishedBody = false
                return .done(consumed: i)
            }
        }
        return .needMore
    }

    /// Advances over one framing byte; returns an error if the byte is not allowed here.
    @inline(__always)
    mutating func step(_ byte: UInt8) -> HTTPParseError? {
        switch state {
        case .sizeStart:
            guard let digit = ByteClass.hexValue(byte) else { return .invalidChunkSize }
            size = digit
            sizeDigits = 1
            state = .size
        case .size:
            if let digit = ByteClass.hexValue(byte) {
                guard size <= ChunkedScanner.maxChunkSize >> 4 else { return .chunkSizeOverflow }
                sizeDigits &+= 1
                guard sizeDigits <= ChunkedScanner.maxSizeDigits else { return .invalidChunkSize }
                size = size << 4 | digit
            } else if byte == 0x0D {
                state = .sizeLF
            } else if byte == 0x3B || ByteClass.isOWS(byte) {  // ';' or BWS before it
                extLength = 1
                state = .extensions
            } else if byte == 0x0A {
                return .invalidChunkFraming
            } else {
                return .invalidChunkSize
            }
        case .extensions:
            // Extensions are forwarded, never interpreted: bounded, and free of control
            // characters (a bare LF here is where lenient parsers disagree on the line end).
            if byte == 0x0D {
                state = .sizeLF
            } else {
                guard ByteClass.isFieldValueChar(byte) else { return .invalidChunkExtension }
                extLength &+= 1
                guard extLength <= maxChunkExtLength else { return .chunkExtensionTooLong }
            }
        case .sizeLF:
            guard byte == 0x0A else { return .invalidChunkFraming }
            if size == 0 {
                trailerBytes = 0
                state = .trailerLineStart
            } else {
                remaining = size
                state = .data
            }
        case .data:
            break  // handled in bulk by scan
        case .dataCR:
            guard byte == 0x0D else { return .invalidChunkFraming }
            state = .dataLF
        case .dataLF:
            guard byte == 0x0A else { return .invalidChunkFraming }
            state = .sizeStart
        case .trailerLineStart:
            if byte == 0x0D {
                state = .finalLF
                return nil
            }
            if byte == 0x0A { return .invalidChunkFraming }
            // A trailer line starts with a field name; leading whitespace would be obs-fold.
            guard ByteClass.isTchar(byte) else { return .invalidTrailer }
            return countTrailerByte(then: .trailerLine)
        case .trailerLine:
            if byte == 0x0D {
                state = .trailerLF
                return nil
            }
            guard ByteClass.isFieldValueChar(byte) else { return .invalidTrailer }
            return countTrailerByte(then: .trailerLine)
        case .trailerLF:
            guard byte == 0x0A else { return .invalidTrailer }
            state = .trailerLineStart
        case .finalLF:
            guard byte == 0x0A else { return .invalidChunkFraming }
            state = .sizeStart
            finishedBody = true
        case .failed(let error):
            return error
        }
        return nil
    }

    @inline(__always)
    mutating func countTrailerByte(then next: State) -> HTTPParseError? {
        trailerBytes &+= 1
        guard trailerBytes <= maxTrailerBytes else { return .trailerTooLarge }
        state = next
        return nil
    }
}
