/// A master database failure as one log line: what failed, where (`host:port`), and libpq's
/// reason reduced to its first line. Never contains the connection string or the password,
/// because these messages go to logs, `check-config` output and the admin endpoint.
///
/// A struct over a code rather than an enum, so new kinds of failure don't break callers.
public struct MasterDBError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case connect, invalidConnectionString, query, connectionLost, unexpectedResult
        }

        private let base: Base

        /// The server could not be reached or refused the session (auth, unknown database).
        public static let connect = Code(base: .connect)
        /// libpq could not parse the connection string.
        public static let invalidConnectionString = Code(base: .invalidConnectionString)
        /// A statement failed on the server.
        public static let query = Code(base: .query)
        /// The session broke while in use; reconnecting may help.
        public static let connectionLost = Code(base: .connectionLost)
        /// The database answered with something the caller cannot use (a missing column).
        public static let unexpectedResult = Code(base: .unexpectedResult)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// `host:port` (or the socket directory) of the server, when known.
    public var endpoint: String?
    /// One line: libpq's reason, or ours.
    public var detail: String
    /// The server's SQLSTATE for `.query` failures (`42P01` for a missing table).
    public var sqlState: String?

    public init(code: Code, endpoint: String?, detail: String, sqlState: String? = nil) {
        self.code = code
        self.endpoint = endpoint
        self.detail = detail
        self.sqlState = sqlState
    }

    public var description: String {
        let at = endpoint.map { " at \($0)" } ?? ""
        let state = sqlState.map { " (SQLSTATE \($0))" } ?? ""
        switch code {
        case .connect: return "cannot connect to master database\(at): \(detail)"
        case .invalidConnectionString: return "invalid master database connection string: \(detail)"
        case .query: return "master database query failed\(at): \(detail)\(state)"
        case .connectionLost: return "lost connection to master database\(at): \(detail)"
        default: return "unexpected answer from master database\(at): \(detail)"
        }
    }
}
