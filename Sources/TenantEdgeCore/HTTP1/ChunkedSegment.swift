/// A piece of a chunked body, as `ChunkedScanner.nextSegment` reports it.
public enum ChunkedSegment: Equatable, Sendable {
    /// The next `n` bytes are payload.
    case data(Int)
    /// The next `n` bytes are framing (sizes, extensions, CRLFs, trailers): drop them.
    case framing(Int)
    /// The next `n` bytes are the last framing; the body ended.
    case done(Int)
    /// Nothing consumable yet.
    case needMore
    case error(HTTPParseError)
}
