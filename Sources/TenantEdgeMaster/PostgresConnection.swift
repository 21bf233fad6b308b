import CLibPQ
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One libpq session with the master database.
///
/// Invariants:
/// - `handle` is a non-NULL `PGconn*` owned by this object from `connect` until `deinit`, which
///   calls `PQfinish`; it is never exposed, so nothing can use it after it is freed.
/// - libpq allows a `PGconn` to be used from any thread but not from two at once. Every use
///   happens inside `handle.withLock`, so calls are serialized and the class is `Sendable`
///   without `@unchecked`: the change feed can own a connection on its own thread while the
///   admin endpoint asks it for its state.
/// - Statements run synchronously; a slow query blocks other callers of the same connection,
///   which is the point: one connection is one session, in one transaction state.
public final class PostgresConnection: Sendable {
    private let handle: Mutex<OpaquePointer>
    private let password: String?
    /// `host:port` the session is (or was last) connected to, for messages.
    public let endpoint: String

    private init(handle: sending OpaquePointer, password: String?, endpoint: String) {
        self.handle = Mutex(handle)
        self.password = password
        self.endpoint = endpoint
    }

    deinit {
        handle.withLock { PQfinish($0) }
    }

    /// Connects with a libpq URL or keyword string. `connect_timeout` defaults to
    /// `connectTimeoutSeconds` unless the string sets its own: libpq's default is to wait forever,
    /// which would hang startup and reconnects on a black-holed address.
    ///
    /// `defaults` are further keyword defaults (the change feed's TCP keepalives and
    /// `application_name`); like `connect_timeout`, the connection string overrides them.
    public static func connect(
        _ conninfo: String, connectTimeoutSeconds: Int = 5, defaults: KeyValuePairs<String, String> = [:]
    ) throws(MasterDBError) -> PostgresConnection {
        let options = try ConnectionOptions.parse(conninfo)
        // Later keywords override earlier ones, and `expand_dbname` expands the string in place
        // of `dbname`, so a connect_timeout inside the string wins over ours.
        let keywords = ["connect_timeout"] + defaults.map(\.key) + ["dbname"]
        let values = [String(connectTimeoutSeconds)] + defaults.map(\.value) + [conninfo]
        let connection = withCStrings(keywords) { keywordPointers in
            withCStrings(values) { valuePointers in PQconnectdbParams(keywordPointers, valuePointers, 1) }
        }
        guard let connection else {
            throw MasterDBError(code: .connect, endpoint: options.endpoint, detail: "out of memory")
        }
        let endpoint = Self.endpoint(of: connection) ?? options.endpoint
        // libpq prints server NOTICEs ("relation already exists, skipping") to stderr by default,
        // past the structured logs; nothing here needs them.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        guard PQstatus(connection) == CONNECTION_OK else {
            let detail = LibPQText.firstLine(String(cString: PQerrorMessage(connection)), hiding: options.password)
            PQfinish(connection)
            throw MasterDBError(code: .connect, endpoint: endpoint, detail: detail)
        }
        return PostgresConnection(handle: connection, password: options.password, endpoint: endpoint)
    }

    /// Runs one or more statements without parameters (migrations, BEGIN/COMMIT, LISTEN).
    public func execute(_ sql: String) throws(MasterDBError) {
        _ = try run { connection in PQexec(connection, sql) }
    }

    /// Runs one statement with text parameters (`$1`, `$2`, ...; nil is NULL). Parameters are
    /// sent separately from the SQL, so values never need quoting.
    public func query(_ sql: String, params: [String?] = []) throws(MasterDBError) -> PostgresResult {
        try run { connection in
            withOptionalCStrings(params) { pointers in
                PQexecParams(connection, sql, Int32(params.count), nil, pointers, nil, nil, 0)
            }
        }
    }

    /// Runs a `COPY ... TO STDOUT` statement and hands each CopyData message (one row; the
    /// binary header comes with the first) to `message`, borrowed for the call only. Returns
    /// the number of messages.
    ///
    /// Why COPY for the start-up load: the server streams rows while this side indexes them,
    /// so on two cores the database's scan and the client's work overlap, where cursor FETCHes
    /// alternate; and there is no `PGresult` to build and copy out per chunk.
    ///
    /// If `message` throws, the rest of the stream is read and dropped (the session stays
    /// usable, inside its transaction) and the first error is thrown as `.unexpectedResult`.
    /// `message` must not use this connection: the session is mid-COPY and locked.
    public func copyOut(
        _ sql: String, _ message: (UnsafeRawBufferPointer) throws -> Void
    ) throws(MasterDBError) -> Int {
        try handle.withLock { connection throws(MasterDBError) -> Int in
            guard let started = PQexec(connection, sql) else {
                throw MasterDBError(code: .connectionLost, endpoint: endpoint, detail: errorText(connection))
            }
            let status = PQresultStatus(started)
            if status != PGRES_COPY_OUT {
                defer { PQclear(started) }
                if PQstatus(connection) != CONNECTION_OK {
                    throw MasterDBError(code: .connectionLost, endpoint: endpoint, detail: errorText(connection))
                }
                if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK {
                    throw MasterDBError(code: .unexpectedResult, endpoint: endpoint, detail: "not a COPY TO STDOUT statement")
                }
                throw Self.serverError(started, endpoint: endpoint, password: password)
            }
            PQclear(started)
            var messages = 0
            var failure: (any Error)?
            var buffer: UnsafeMutablePointer<CChar>?
            while true {
                let length = PQgetCopyData(connection, &buffer, 0)
                if length == -1 { break }
                guard length >= 0, let bytes = buffer else {
                    throw MasterDBError(code: .connectionLost, endpoint: endpoint, detail: errorText(connection))
                }
                defer { PQfreemem(bytes) }
                messages += 1
                if failure == nil {
                    do { try message(UnsafeRawBufferPointer(start: bytes, count: Int(length))) } catch { failure = error }
                }
            }
            // The COPY's own outcome, then the end of the command (a NULL result).
            var serverFailure: MasterDBError?
            while let result = PQgetResult(connection) {
                if PQresultStatus(result) != PGRES_COMMAND_OK, serverFailure == nil {
                    serverFailure = Self.serverError(result, endpoint: endpoint, password: password)
                }
                PQclear(result)
            }
            if let serverFailure {
                if PQstatus(connection) != CONNECTION_OK {
                    throw MasterDBError(code: .connectionLost, endpoint: endpoint, detail: errorText(connection))
                }
                throw serverFailure
            }
            if let failure {
                throw MasterDBError(code: .unexpectedResult, endpoint: endpoint, detail: "\(failure)")
            }
            return messages
        }
    }

    /// The socket to watch for readability before calling `notifications()`.
    public var socketDescriptor: Int32 {
        handle.withLock { PQsocket($0) }
    }

    /// The server process of this session (`pg_backend_pid()`), known to libpq without a query;
    /// a NOTIFY this session sent carries it, which is how the self-NOTIFY probe is recognized.
    public var backendProcessID: Int32 {
        handle.withLock { PQbackendPID($0) }
    }

    /// Whether libpq still considers the session usable.
    public var isConnected: Bool {
        handle.withLock { PQstatus($0) == CONNECTION_OK }
    }

    /// Reads what the server has sent without blocking and returns the NOTIFYs received so far
    /// (empty if none). Throws `.connectionLost` when the session is broken, which is how a
    /// LISTEN connection learns it must reconnect and catch up.
    public func notifications() throws(MasterDBError) -> [PostgresNotification] {
        try handle.withLock { connection throws(MasterDBError) -> [PostgresNotification] in
            guard PQconsumeInput(connection) == 1 else {
                throw MasterDBError(code: .connectionLost, endpoint: endpoint, detail: errorText(connection))
            }
            var received: [PostgresNotification] = []
            while let notification = PQnotifies(connection) {
                received.append(PostgresNotification(channel: String(cString: notification.pointee.relname),
                                                     payload: String(cString: notification.pointee.extra),
                                                     senderProcessID: notification.pointee.be_pid))
                PQfreemem(notification)
            }
            return received
        }
    }

    private func run(_ send: (OpaquePointer) -> OpaquePointer?) throws(MasterDBError) -> PostgresResult {
        try handle.withLock { connection throws(MasterDBError) -> PostgresResult in
            guard let result = send(connection) else {
                throw MasterDBError(code: .connectionLost, endpoint: endpoint, detail: errorText(connection))
            }
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
                return Self.copy(result)
            default:
                if PQstatus(connection) != CONNECTION_OK {
                    throw MasterDBError(code: .connectionLost, endpoint: endpoint, detail: errorText(connection))
                }
                throw Self.serverError(result, endpoint: endpoint, password: password)
            }
        }
    }

    private func errorText(_ connection: OpaquePointer) -> String {
        LibPQText.firstLine(String(cString: PQerrorMessage(connection)), hiding: password)
    }

    private static func serverError(_ result: OpaquePointer, endpoint: String, password: String?) -> MasterDBError {
        func field(_ code: Character) -> String? {
            guard let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: value)
        }
        let primary = field("M") ?? String(cString: PQresultErrorMessage(result))
        let severity = field("V") ?? field("S") ?? "ERROR"
        let detail = LibPQText.firstLine("\(severity): \(primary)", hiding: password)
        return MasterDBError(code: .query, endpoint: endpoint, detail: detail, sqlState: field("C"))
    }

    private static func copy(_ result: OpaquePointer) -> PostgresResult {
        let rowCount = PQntuples(result)
        let columnCount = PQnfields(result)
        let columns = (0..<columnCount).map { String(cString: PQfname(result, $0)) }
        var rows: [[String?]] = []
        rows.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            rows.append((0..<columnCount).map { column in
                PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
            })
        }
        let tuples = String(cString: PQcmdTuples(result))
        return PostgresResult(columns: columns, rows: rows, affectedRows: Int(tuples))
    }

    private static func endpoint(of connection: OpaquePointer) -> String? {
        guard let host = PQhost(connection).map({ String(cString: $0) }), !host.isEmpty else { return nil }
        let port = PQport(connection).map { String(cString: $0) } ?? ""
        return LibPQText.endpoint(host: host, port: port.isEmpty ? "5432" : port)
    }
}

/// NUL-terminated copies of `strings`, alive for the duration of `body`, as the
/// `const char * const *` arrays libpq takes (terminated by a NULL entry).
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    withOptionalCStrings(strings.map { Optional($0) } + [nil]) { body($0!) }
}

private func withOptionalCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.flatMap { strdup($0) } }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { UnsafePointer($0) }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}
