import BFSCore

/// A needle's life: pending (allocated), live (a file points at it), tombstone (to delete).
/// The raw values are the `needles.state` column (MetadataSchema).
enum NeedleState: Int64 {
    case pending = 0
    case live = 1
    case tombstone = 2
}

/// Runs `body`, turning a statement failure into `.backend`.
func sql<T>(_ body: () throws(SQLFailure) -> T) throws(MetadataError) -> T {
    do throws(SQLFailure) { return try body() } catch { throw error.metadataError }
}

/// The needle and tombstone statements shared by the file operations and the reaper calls.
enum NeedleOperations {
    /// Moves `key` from `from` to `to`; nil if it was not in state `from`.
    static func transition(_ key: NeedleKey, from: NeedleState, to: NeedleState,
                           on connection: SQLConnection) throws(MetadataError) -> NeedleLocation? {
        let rows = try sql { () throws(SQLFailure) in
            try connection.rows("UPDATE needles SET state = $3 WHERE key = $1 AND state = $2 RETURNING key, vid, cookie",
                                [.int(key), .int(from.rawValue), .int(to.rawValue)])
        }
        return rows.first.map(location)
    }

    /// Makes a pending or live needle (no longer referenced) a tombstone due at once.
    @discardableResult
    static func bury(_ key: NeedleKey, from: NeedleState, now: UnixNanos,
                     on connection: SQLConnection) throws(MetadataError) -> NeedleLocation {
        guard let needle = try transition(key, from: from, to: .tombstone, on: connection) else {
            throw .backend("needle \(key) is not \(from)")
        }
        _ = try sql { () throws(SQLFailure) in
            try connection.change("INSERT INTO tombstones (key, attempts, next_attempt_at) VALUES ($1, 0, $2)",
                                  [.int(key), .int(now)])
        }
        return needle
    }

    /// Inserts a new needle row; `.keyExists` if the key is in use in any state.
    static func insert(_ needle: NeedleLocation, state: NeedleState, now: UnixNanos,
                       on connection: SQLConnection) throws(MetadataError) {
        do throws(SQLFailure) {
            _ = try connection.change("INSERT INTO needles (key, vid, cookie, state, created_at) VALUES ($1, $2, $3, $4, $5)",
                                      [.int(needle.key), .int(Int64(needle.vid)), .int(Int64(needle.cookie)),
                                       .int(state.rawValue), .int(now)])
        } catch {
            if case .unique = error { throw .keyExists(needle.key) }
            throw error.metadataError
        }
    }

    static func pendingTombstones(now: UnixNanos, limit: Int, on connection: SQLConnection) throws(MetadataError) -> [Tombstone] {
        let rows = try sql { () throws(SQLFailure) in
            try connection.rows("""
                SELECT t.key, n.vid, n.cookie, t.attempts, t.next_attempt_at
                FROM tombstones t JOIN needles n ON n.key = t.key
                WHERE t.next_attempt_at <= $1 ORDER BY t.next_attempt_at, t.key LIMIT $2
                """, [.int(now), .int(Int64(max(0, limit)))])
        }
        return rows.map { Tombstone(needle: location($0), attempts: Int($0[3].int ?? 0), nextAttemptAt: $0[4].int ?? 0) }
    }

    static func confirmTombstone(_ key: NeedleKey, on connection: SQLConnection) throws(MetadataError) {
        let removed = try sql { () throws(SQLFailure) in
            try connection.change("DELETE FROM tombstones WHERE key = $1", [.int(key)])
        }
        guard removed == 1 else { throw .tombstoneNotFound(key) }
        _ = try sql { () throws(SQLFailure) in
            try connection.change("DELETE FROM needles WHERE key = $1 AND state = $2", [.int(key), .int(NeedleState.tombstone.rawValue)])
        }
    }

    static func postponeTombstone(_ key: NeedleKey, until: UnixNanos, on connection: SQLConnection) throws(MetadataError) {
        let changed = try sql { () throws(SQLFailure) in
            try connection.change("UPDATE tombstones SET attempts = attempts + 1, next_attempt_at = $2 WHERE key = $1",
                                  [.int(key), .int(until)])
        }
        guard changed == 1 else { throw .tombstoneNotFound(key) }
    }

    /// (key, vid, cookie) from the first three columns.
    static func location(_ row: SQLRow) -> NeedleLocation {
        NeedleLocation(key: row[0].int ?? 0, vid: VolumeID(truncatingIfNeeded: row[1].int ?? 0),
                       cookie: Cookie(truncatingIfNeeded: row[2].int ?? 0))
    }
}
