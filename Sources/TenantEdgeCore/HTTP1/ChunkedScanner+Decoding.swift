/// De-chunking on top of the same validating state machine.
///
/// HTTP/2 has no chunked coding, so a chunked HTTP/1.1 response relayed to an HTTP/2 client
/// must be decoded. Reusing the scanner keeps one definition of what valid chunked framing
/// is; payload runs are handed out whole, framing bytes one state step at a time (they are
/// a few bytes per chunk).
extension ChunkedScanner {
    /// Classifies the bytes at the start of `bytes`; the caller drops or forwards that many
    /// and calls again with what follows.
    public mutating func nextSegment(_ bytes: UnsafeRawBufferPointer) -> ChunkedSegment {
        guard !bytes.isEmpty else { return .needMore }
        if case .data = state, remaining > 0 {
            let n = Int(min(remaining, UInt64(bytes.count)))
            if case .error(let error) = scan(UnsafeRawBufferPointer(rebasing: bytes[0..<n])) { return .error(error) }
            return .data(n)
        }
        var i = 0
        while i < bytes.count {
            let result = scan(UnsafeRawBufferPointer(rebasing: bytes[i..<(i + 1)]))
            i += 1
            switch result {
            case .done: return .done(i)
            case .error(let error): return .error(error)
            case .needMore:
                if case .data = state, remaining > 0 { return .framing(i) }
            }
        }
        return .framing(i)
    }
}
