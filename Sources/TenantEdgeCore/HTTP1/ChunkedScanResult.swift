/// What `ChunkedScanner.scan` found in the bytes it was given.
public enum ChunkedScanResult: Equatable, Sendable {
    /// Every byte belonged to the body and it has not ended yet.
    case needMore
    /// The body (last-chunk, trailers and final CRLF included) ended after `consumed` bytes;
    /// anything after them is the next message.
    case done(consumed: Int)
    /// The chunked framing is invalid: the stream cannot be trusted any more; close.
    case error(HTTPParseError)
}
