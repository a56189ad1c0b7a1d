/// A value bound to or read from SQL: the schema uses only integers and text.
enum SQLValue: Hashable, Sendable {
    case null
    case int(Int64)
    case text(String)

    /// The integer, also from PostgreSQL's text results.
    var int: Int64? {
        switch self {
        case .int(let value): value
        case .text(let text): Int64(text)
        case .null: nil
        }
    }

    /// The text (integers spelled in decimal), nil for NULL.
    var text: String? {
        switch self {
        case .text(let text): text
        case .int(let value): String(value)
        case .null: nil
        }
    }
}

/// One result row; columns by position, as selected.
typealias SQLRow = [SQLValue]

/// What a statement did.
struct SQLResult {
    /// Rows returned (SELECT or RETURNING).
    var rows: [SQLRow]
    /// Rows inserted, updated or deleted.
    var changes: Int
}

/// A failed statement, classified so callers can name the violated rule.
enum SQLFailure: Error {
    /// A UNIQUE or PRIMARY KEY constraint; the message names the constraint or column.
    case unique(String)
    /// A FOREIGN KEY constraint.
    case foreignKey(String)
    /// A CHECK or NOT NULL constraint.
    case check(String)
    /// A deadlock or serialization failure: nothing happened, running it again may succeed.
    case conflict(String)
    /// Anything else.
    case other(String)

    /// As the module's error (callers map constraint failures to specific cases first).
    var metadataError: MetadataError {
        switch self {
        case .conflict(let message): .conflict(message)
        case .unique(let message), .foreignKey(let message), .check(let message), .other(let message):
            .backend(message)
        }
    }
}

/// The SQL spelling differences between the two backends. Statements are written once with
/// PostgreSQL's `$1` placeholders; SQLite reads them as its numbered `?1` form.
struct SQLDialect: Sendable {
    /// Starts a write transaction (SQLite takes the write lock at once, avoiding upgrade deadlocks).
    var begin: String
    /// Appended to a SELECT that reads a row the transaction then changes (PostgreSQL row lock;
    /// SQLite has one writer, so nothing).
    var lockRows: String
    /// Type of name columns: byte order everywhere, so listings page the same on both backends.
    var nameType: String
    /// Run first in the migration transaction so directories starting at once take turns
    /// (SQLite: `BEGIN IMMEDIATE` already does).
    var migrationLock: String?

    /// The embedded database.
    static let sqlite = SQLDialect(begin: "BEGIN IMMEDIATE", lockRows: "", nameType: "TEXT", migrationLock: nil)
    /// The shared database; the advisory lock id is an arbitrary constant reserved for bfs.
    static let postgres = SQLDialect(begin: "BEGIN", lockRows: " FOR UPDATE", nameType: "TEXT COLLATE \"C\"",
                                     migrationLock: "SELECT pg_advisory_xact_lock(4620693217682128896)")
}

/// One database connection, used by one thread at a time (the executor's thread that owns it).
protocol SQLConnection: AnyObject {
    /// How this backend spells things.
    var dialect: SQLDialect { get }
    /// Runs one statement with bound parameters (never interpolated).
    func run(_ sql: String, _ parameters: [SQLValue]) throws(SQLFailure) -> SQLResult
    /// Runs parameterless statements, possibly several separated by `;` (DDL, BEGIN, COMMIT).
    func script(_ sql: String) throws(SQLFailure)
    /// Reconnects if the connection broke (a no-op for a file).
    func recoverIfBroken()
    /// Frees the connection.
    func close()
}

extension SQLConnection {
    /// Rows of a query.
    func rows(_ sql: String, _ parameters: [SQLValue] = []) throws(SQLFailure) -> [SQLRow] {
        try run(sql, parameters).rows
    }

    /// Rows changed by a statement.
    func change(_ sql: String, _ parameters: [SQLValue] = []) throws(SQLFailure) -> Int {
        try run(sql, parameters).changes
    }
}
