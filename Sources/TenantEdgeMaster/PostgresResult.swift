/// The rows of one statement, copied out of libpq's `PGresult` (which is freed at once), so a
/// result can outlive the connection and cross threads.
///
/// Values are in PostgreSQL's text format; `nil` is SQL NULL.
public struct PostgresResult: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[String?]]
    /// The command tag's row count (`UPDATE 3` -> 3) for statements that report one.
    public var affectedRows: Int?

    public init(columns: [String], rows: [[String?]], affectedRows: Int? = nil) {
        self.columns = columns
        self.rows = rows
        self.affectedRows = affectedRows
    }

    public var count: Int { rows.count }

    public subscript(row: Int, column: Int) -> String? { rows[row][column] }

    /// The value of the column named `column`; nil for NULL or if there is no such column.
    public func value(row: Int, column: String) -> String? {
        guard let index = columns.firstIndex(of: column) else { return nil }
        return rows[row][index]
    }
}
