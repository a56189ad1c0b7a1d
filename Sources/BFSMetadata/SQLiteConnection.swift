import CSQLite

/// A SQLite connection in WAL mode with every statement prepared once and cached.
///
/// Durability: in WAL mode `synchronous=FULL` fsyncs the WAL at every COMMIT, so a commit that
/// returned survives power loss. `NORMAL` (toolchain.md's probe setting) fsyncs only at
/// checkpoints: a returned commit survives a process crash but may roll back after power loss,
/// which would break "metadata never points at data that is not durable". Group commit is what
/// keeps FULL affordable: one fsync per batch, not per upload.
final class SQLiteConnection: SQLConnection {
    let dialect = SQLDialect.sqlite
    private var db: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]
    private var scripts: [String: [OpaquePointer]] = [:]

    // Extended result codes (sqlite3.h builds them with macros Swift does not import).
    private static let constraintCheck: Int32 = 275
    private static let constraintForeignKey: Int32 = 787
    private static let constraintNotNull: Int32 = 1299
    private static let constraintPrimaryKey: Int32 = 1555
    private static let constraintUnique: Int32 = 2067

    /// Opens (creating) `path`, switches to WAL with full sync and enforced foreign keys.
    /// `busyTimeoutMs` bounds how long a reader waits for a checkpoint lock.
    init(path: String, busyTimeoutMs: Int32 = 5000) throws(SQLFailure) {
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        guard sqlite3_open_v2(path, &db, flags, nil) == SQLITE_OK else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            db = nil
            throw .other("open \(path): \(message)")
        }
        sqlite3_busy_timeout(db, busyTimeoutMs)
        let mode = try rows("PRAGMA journal_mode=WAL").first?.first?.text
        guard mode == "wal" else { throw .other("\(path): journal_mode is \(mode ?? "nil"), not wal") }
        try script("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON")
    }

    deinit { close() }

    func run(_ sql: String, _ parameters: [SQLValue]) throws(SQLFailure) -> SQLResult {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (index, value) in parameters.enumerated() {
            let position = Int32(index + 1)
            switch value {
            case .null: sqlite3_bind_null(statement, position)
            case .int(let number): sqlite3_bind_int64(statement, position, number)
            case .text(let text): sqlite3_bind_text(statement, position, text, -1, csqlite_transient())
            }
        }
        var rows: [SQLRow] = []
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else { throw failure() }
            let count = sqlite3_column_count(statement)
            rows.append((0..<count).map { column in
                switch sqlite3_column_type(statement, column) {
                case SQLITE_NULL: .null
                case SQLITE_INTEGER: .int(sqlite3_column_int64(statement, column))
                default: .text(String(cString: sqlite3_column_text(statement, column)))
                }
            })
        }
        return SQLResult(rows: rows, changes: sqlite3_stmt_readonly(statement) != 0 ? 0 : Int(sqlite3_changes64(db)))
    }

    /// Runs each statement of `sql` in turn. The executor's control scripts (`SAVEPOINT`,
    /// `RELEASE`, `COMMIT`) run several times per batch, so each script's statements are
    /// prepared once, on first use and one at a time (a statement may name a table an earlier
    /// one creates), and kept like `run`'s.
    func script(_ sql: String) throws(SQLFailure) {
        if let cached = scripts[sql] {
            for statement in cached { try step(statement) }
            return
        }
        var prepared: [OpaquePointer] = []
        let problem: SQLFailure? = sql.withCString { start in
            var rest: UnsafePointer<CChar>? = start
            while let text = rest, text.pointee != 0 {
                var statement: OpaquePointer?
                guard sqlite3_prepare_v3(db, text, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, &rest) == SQLITE_OK else {
                    return failure()
                }
                // Only whitespace or a comment was left.
                guard let statement else { continue }
                prepared.append(statement)
                do throws(SQLFailure) { try step(statement) } catch { return error }
            }
            return nil
        }
        if let problem {
            prepared.forEach { sqlite3_finalize($0) }
            throw problem
        }
        scripts[sql] = prepared
    }

    /// Steps a parameterless statement to its end and resets it.
    private func step(_ statement: OpaquePointer) throws(SQLFailure) {
        defer { sqlite3_reset(statement) }
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw failure() }
        }
    }

    func recoverIfBroken() {}

    func close() {
        for statement in statements.values { sqlite3_finalize(statement) }
        statements.removeAll()
        for statement in scripts.values.joined() { sqlite3_finalize(statement) }
        scripts.removeAll()
        if db != nil { sqlite3_close_v2(db) }
        db = nil
    }

    private func prepared(_ sql: String) throws(SQLFailure) -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        var statement: OpaquePointer?
        // `$1` is a named parameter to SQLite; `?1` is the same position by number.
        let text = sql.replacingDollarPlaceholders()
        guard sqlite3_prepare_v3(db, text, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK,
              let statement else { throw failure() }
        statements[sql] = statement
        return statement
    }

    private func failure() -> SQLFailure {
        let message = String(cString: sqlite3_errmsg(db))
        switch sqlite3_extended_errcode(db) {
        case Self.constraintUnique, Self.constraintPrimaryKey: return .unique(message)
        case Self.constraintForeignKey: return .foreignKey(message)
        case Self.constraintCheck, Self.constraintNotNull: return .check(message)
        default: return .other(message)
        }
    }
}

extension String {
    /// `$1` -> `?1`; statements never hold `$` inside literals.
    fileprivate func replacingDollarPlaceholders() -> String {
        String(map { $0 == "$" ? "?" : $0 })
    }
}
