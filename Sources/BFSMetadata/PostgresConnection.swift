import CPQ
#if canImport(Glibc)
import Glibc
#endif

/// A libpq connection with every statement prepared once per session and cached.
///
/// Parameters travel as text beside the statement (`PQexecPrepared`), never inside it; results
/// come back as text and `SQLValue.int` parses them.
final class PostgresConnection: SQLConnection {
    let dialect = SQLDialect.postgres
    private var connection: OpaquePointer?
    private var statements: [String: String] = [:]

    /// Connects with a libpq conninfo string, e.g. `host=127.0.0.1 port=5432 dbname=bfs user=bfs`.
    init(conninfo: String) throws(SQLFailure) {
        connection = PQconnectdb(conninfo)
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(connection))
            PQfinish(connection)
            connection = nil
            throw .other("connect: \(message)")
        }
    }

    deinit { close() }

    func run(_ sql: String, _ parameters: [SQLValue]) throws(SQLFailure) -> SQLResult {
        let name = try prepared(sql)
        let texts = parameters.map { $0.text }
        let result = withCStrings(texts) { pointers in
            PQexecPrepared(connection, name, Int32(pointers.count), pointers, nil, nil, 0)
        }
        defer { PQclear(result) }
        try check(result)
        var rows: [SQLRow] = []
        let rowCount = PQntuples(result)
        let columnCount = PQnfields(result)
        rows.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            rows.append((0..<columnCount).map { column in
                PQgetisnull(result, row, column) != 0 ? .null : .text(String(cString: PQgetvalue(result, row, column)))
            })
        }
        return SQLResult(rows: rows, changes: Int(String(cString: PQcmdTuples(result))) ?? 0)
    }

    func script(_ sql: String) throws(SQLFailure) {
        let result = PQexec(connection, sql)
        defer { PQclear(result) }
        try check(result)
    }

    func recoverIfBroken() {
        guard PQstatus(connection) != CONNECTION_OK else { return }
        // Prepared statements belong to the old session.
        statements.removeAll()
        PQreset(connection)
    }

    func close() {
        if connection != nil { PQfinish(connection) }
        connection = nil
    }

    private func prepared(_ sql: String) throws(SQLFailure) -> String {
        if let name = statements[sql] { return name }
        let name = "bfs_\(statements.count)"
        let result = PQprepare(connection, name, sql, 0, nil)
        defer { PQclear(result) }
        try check(result)
        statements[sql] = name
        return name
    }

    private func check(_ result: OpaquePointer?) throws(SQLFailure) {
        let status = PQresultStatus(result)
        if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK { return }
        let message = result.map { String(cString: PQresultErrorMessage($0)) } ?? String(cString: PQerrorMessage(connection))
        // PG_DIAG_SQLSTATE is the character 'C'; class 23 is integrity constraint violation.
        let field = PQresultErrorField(result, Int32(UInt8(ascii: "C")))
        let state = field.map { String(cString: $0) } ?? ""
        switch state {
        case "23505": throw .unique(message)
        case "23503": throw .foreignKey(message)
        case "23514", "23502": throw .check(message)
        case "40P01", "40001": throw .conflict(message)
        default: throw .other(message)
        }
    }
}

/// Calls `body` with C strings for `texts` (NULL for nil) that live until it returns.
private func withCStrings<R>(_ texts: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies = texts.map { $0.map { strdup($0) } ?? nil }
    defer { copies.forEach { free($0) } }
    return body(copies.map { $0.map { UnsafePointer($0) } })
}
