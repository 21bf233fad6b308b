/// The outcome of feeding a head parser the bytes received so far.
public enum HeadParseResult: Equatable, Sendable {
    /// No complete head yet: read more and call `parse` again with the same bytes at the start.
    case incomplete
    /// The head is complete; the parser's `head` and `fields` describe it.
    case complete
    /// The head is malformed or over a limit: answer with `error.status` and close.
    case error(HTTPParseError)
}
