/// Why the route snapshot could not be written or read, as one line naming the file.
public struct RouteSnapshotError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable {
        private enum Base: Hashable, Sendable { case missing, corrupt, io }
        private let base: Base

        /// No snapshot yet (first start): expected, not alarming.
        public static let missing = Code(base: .missing)
        /// The file exists but is not a route map (truncated, edited, another format).
        public static let corrupt = Code(base: .corrupt)
        /// The file system refused (permissions, disk full).
        public static let io = Code(base: .io)
    }

    public var code: Code
    public var path: String
    public var detail: String

    public init(code: Code, path: String, detail: String) {
        self.code = code
        self.path = path
        self.detail = detail
    }

    public var description: String {
        switch code {
        case .missing: "route snapshot \(path) does not exist"
        case .corrupt: "route snapshot \(path) is corrupt: \(detail)"
        default: "route snapshot \(path): \(detail)"
        }
    }
}
