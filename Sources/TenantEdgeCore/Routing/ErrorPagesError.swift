/// A problem with the error-page templates, reported at config load (and on SIGHUP, where
/// it keeps the old pages) rather than discovered when the first error is served.
public struct ErrorPagesError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The template file or directory concerned.
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
