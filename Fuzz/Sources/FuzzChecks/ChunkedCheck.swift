import TenantEdgeCore

/// The chunked-body scanner (and the de-chunking built on it) on arbitrary bytes, checked
/// against a separate whole-buffer reference reader of the same grammar (RFC 9112 section
/// 7.1 with the scanner's bounds): same end of body, same verdict, same payload. Also: the
/// same bytes split differently end the same way, and the scanner is clean after a body.
public enum ChunkedCheck {
    static let limits: [(ext: Int, trailer: Int)] = [(4096, 8192), (8, 16)]

    public static func run(_ data: UnsafeRawBufferPointer) {
        for limit in limits {
            var scanner = ChunkedScanner(maxChunkExtLength: limit.ext, maxTrailerBytes: limit.trailer)
            let whole = scanner.scan(data)
            var referenceReader = Reference(data, maxExt: limit.ext, maxTrailer: limit.trailer)
            let reference = referenceReader.read()
            switch (whole, reference) {
            case (.done(let consumed), .done(let end, _)):
                require(consumed == end, "scanner ends the body at \(consumed), the reference at \(end): \(show(data))")
            case (.needMore, .needMore), (.error, .invalid):
                break
            default:
                require(false, "scanner says \(whole), the reference \(reference): \(show(data))")
            }
            if case .done(let consumed) = whole {
                require(consumed > 0 && consumed <= data.count, "consumed \(consumed) of \(data.count)")
                // Ready for the next body: what follows parses as it would on a fresh scanner.
                let rest = UnsafeRawBufferPointer(rebasing: data[consumed...])
                var fresh = ChunkedScanner(maxChunkExtLength: limit.ext, maxTrailerBytes: limit.trailer)
                require(scanner.scan(rest) == fresh.scan(rest), "state leaks from one body into the next: \(show(data))")
            }
            checkPieces(data, limit, expected: whole)
            checkDecoding(data, limit, expected: whole, reference: reference)
        }
    }

    /// Bytes arriving in arbitrary pieces end the body at the same byte.
    static func checkPieces(_ data: UnsafeRawBufferPointer, _ limit: (ext: Int, trailer: Int), expected: ChunkedScanResult) {
        var scanner = ChunkedScanner(maxChunkExtLength: limit.ext, maxTrailerBytes: limit.trailer)
        var offset = 0
        var seed = UInt32(truncatingIfNeeded: data.count) | 1
        var result = ChunkedScanResult.needMore
        while offset < data.count {
            seed = seed &* 1_103_515_245 &+ 12345
            let next = min(data.count, offset + 1 + Int(seed >> 16) % 7)
            switch scanner.scan(UnsafeRawBufferPointer(rebasing: data[offset..<next])) {
            case .done(let consumed):
                result = .done(consumed: offset + consumed)
                offset = data.count
            case .error(let error):
                result = .error(error)
                offset = data.count
            case .needMore:
                offset = next
            }
        }
        require(result == expected, "in pieces: \(result), at once: \(expected) for \(show(data))")
    }

    /// De-chunking accounts for every byte and yields exactly the payload.
    static func checkDecoding(_ data: UnsafeRawBufferPointer, _ limit: (ext: Int, trailer: Int),
                              expected: ChunkedScanResult, reference: Reference.Outcome) {
        var scanner = ChunkedScanner(maxChunkExtLength: limit.ext, maxTrailerBytes: limit.trailer)
        var offset = 0
        var payload: [UInt8] = []
        var result = ChunkedScanResult.needMore
        decoding: while offset < data.count {
            switch scanner.nextSegment(UnsafeRawBufferPointer(rebasing: data[offset...])) {
            case .data(let n):
                require(n > 0 && offset + n <= data.count, "data segment of \(n) at \(offset) of \(data.count)")
                payload += data[offset..<(offset + n)]
                offset += n
            case .framing(let n):
                require(n > 0 && offset + n <= data.count, "framing segment of \(n) at \(offset) of \(data.count)")
                offset += n
            case .done(let n):
                require(n > 0 && offset + n <= data.count, "final segment of \(n) at \(offset) of \(data.count)")
                offset += n
                result = .done(consumed: offset)
                break decoding
            case .error(let error):
                result = .error(error)
                break decoding
            case .needMore:
                require(false, "nextSegment asked for more with \(data.count - offset) bytes left")
            }
        }
        require(result == expected, "decoding: \(result), scanning: \(expected) for \(show(data))")
        if case .done(_, let expectedPayload) = reference {
            require(payload == expectedPayload, "decoded payload differs from the reference: \(show(data))")
            // The payload chunked canonically is a valid body of exactly that length.
            var body: [UInt8] = []
            if !payload.isEmpty { body += Array(String(payload.count, radix: 16).utf8) + [13, 10] + payload + [13, 10] }
            body += Array("0\r\n\r\n".utf8)
            var again = ChunkedScanner()
            let rescanned = body.withUnsafeBytes { again.scan($0) }
            require(rescanned == .done(consumed: body.count), "canonical re-chunking does not scan: \(rescanned)")
        }
    }

    /// A whole-buffer reader of chunked framing, written apart from the scanner's byte state
    /// machine (each production read to its end), so the two only agree when both are right.
    struct Reference {
        enum Outcome: Equatable {
            case done(end: Int, payload: [UInt8])
            case needMore
            case invalid(String)
        }

        let bytes: UnsafeRawBufferPointer
        let maxExt: Int
        let maxTrailer: Int
        var i = 0

        init(_ bytes: UnsafeRawBufferPointer, maxExt: Int, maxTrailer: Int) {
            self.bytes = bytes
            self.maxExt = maxExt
            self.maxTrailer = maxTrailer
        }

        static func hex(_ b: UInt8) -> UInt64? {
            switch b {
            case 0x30...0x39: UInt64(b - 0x30)
            case 0x41...0x46: UInt64(b - 0x37)
            case 0x61...0x66: UInt64(b - 0x57)
            default: nil
            }
        }

        static func isTchar(_ b: UInt8) -> Bool {
            switch b {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
            default: Array("!#$%&'*+-.^_`|~".utf8).contains(b)
            }
        }

        /// HTAB, SP, VCHAR, obs-text: what a field value (and so an extension) may hold.
        static func isValueByte(_ b: UInt8) -> Bool { b == 0x09 || (b >= 0x20 && b != 0x7F) }

        mutating func read() -> Outcome {
            var payload: [UInt8] = []
            while true {
                // chunk-size: 1 to 32 hex digits, below 2^62.
                var size: UInt64 = 0
                var digits = 0
                while i < bytes.count, let digit = Self.hex(bytes[i]) {
                    if digits > 0, size > ((1 << 62) - 1) >> 4 { return .invalid("size overflow") }
                    digits += 1
                    if digits > 32 { return .invalid("too many digits") }
                    size = size << 4 | digit
                    i += 1
                }
                if i == bytes.count { return .needMore }
                if digits == 0 { return .invalid("no size") }
                // Extensions: from ';' or BWS up to CR, value bytes only, bounded.
                if bytes[i] == 0x3B || bytes[i] == 0x20 || bytes[i] == 0x09 {
                    let start = i
                    while i < bytes.count, bytes[i] != 0x0D {
                        if i > start, !Self.isValueByte(bytes[i]) { return .invalid("extension byte") }
                        if i - start + 1 > maxExt { return .invalid("extension too long") }
                        i += 1
                    }
                    if i == bytes.count { return .needMore }
                }
                switch crlf() {
                case .some(false): return .invalid("size line end")
                case nil: return .needMore
                case .some(true): break
                }
                if size == 0 { break }
                let available = UInt64(bytes.count - i)
                if size >= available { return .needMore }
                payload += bytes[i..<(i + Int(size))]
                i += Int(size)
                switch crlf() {
                case .some(false): return .invalid("data end")
                case nil: return .needMore
                case .some(true): break
                }
            }
            // Trailer lines (a token byte first, then value bytes), then the final CRLF.
            var trailerBytes = 0
            while true {
                if i == bytes.count { return .needMore }
                if bytes[i] == 0x0D {
                    switch crlf() {
                    case .some(true): return .done(end: i, payload: payload)
                    case .some(false): return .invalid("final CRLF")
                    case nil: return .needMore
                    }
                }
                if !Self.isTchar(bytes[i]) { return .invalid("trailer start") }
                while i < bytes.count, bytes[i] != 0x0D {
                    if !Self.isValueByte(bytes[i]) { return .invalid("trailer byte") }
                    trailerBytes += 1
                    if trailerBytes > maxTrailer { return .invalid("trailers too large") }
                    i += 1
                }
                switch crlf() {
                case .some(false): return .invalid("trailer line end")
                case nil: return .needMore
                case .some(true): break
                }
            }
        }

        /// true: CRLF consumed; false: something else; nil: the bytes end first.
        mutating func crlf() -> Bool? {
            if i == bytes.count { return nil }
            if bytes[i] != 0x0D { return false }
            if i + 1 == bytes.count { return nil }
            if bytes[i + 1] != 0x0A { return false }
            i += 2
            return true
        }
    }
}
