import BFSCore

/// The file statements (two-phase and plain upload, lookup, delete, listing), written once for
/// both backends. Replacing a filename is a compare-and-set on its row (`... AND key = <old>`),
/// retried when another transaction got there first, so concurrent directories never lose a
/// needle: the winner's file is visible and every loser's needle is a tombstone.
enum FileOperations {
    /// Rounds of compare-and-set before giving up; each lost round means another directory
    /// committed the same filename in between, so more than a few means something is wrong.
    private static let casRounds = 8

    static func allocate(_ allocation: Allocation, now: UnixNanos, on connection: SQLConnection) throws(MetadataError) {
        guard !allocation.filename.isEmpty else { throw .invalidArgument("empty filename") }
        try NeedleOperations.insert(allocation.needle, state: .pending, now: now, on: connection)
        do throws(SQLFailure) {
            _ = try connection.change("""
                INSERT INTO allocations (key, bucket, filename, mime, expires_at) VALUES ($1, $2, $3, $4, $5)
                """, [.int(allocation.needle.key), .text(allocation.bucket), .text(allocation.filename),
                      allocation.mime.map { .text($0) } ?? .null, .int(allocation.expiresAt)])
        } catch {
            if case .foreignKey = error { throw .bucketNotFound(allocation.bucket) }
            throw error.metadataError
        }
    }

    static func commit(_ commit: FileCommit, now: UnixNanos, on connection: SQLConnection) throws(MetadataError) -> CommitOutcome {
        guard commit.size >= 0 else { throw .invalidArgument("size \(commit.size)") }
        // Deleting the allocation is the state check: only one commit or abort can remove it.
        let rows = try sql { () throws(SQLFailure) in
            try connection.rows("DELETE FROM allocations WHERE key = $1 RETURNING bucket, filename, mime", [.int(commit.key)])
        }
        guard let allocation = rows.first else { throw .allocationNotPending(commit.key) }
        guard let needle = try NeedleOperations.transition(commit.key, from: .pending, to: .live, on: connection) else {
            throw .allocationNotPending(commit.key)
        }
        let entry = FileEntry(bucket: allocation[0].text ?? "", filename: allocation[1].text ?? "", needle: needle,
                              sha1: commit.sha1, mime: commit.mime ?? allocation[2].text ?? "",
                              size: commit.size, mtime: commit.mtime)
        if let expected = commit.expecting { return try commitExpecting(expected, entry, now: now, on: connection) }
        // Most uploads are new names: the insert comes first, so those take one statement.
        for _ in 0..<casRounds {
            if try insertIfAbsent(entry, on: connection) { return .created(entry) }
            if let old = try currentKey(entry.bucket, entry.filename, on: connection) {
                let changed = try sql { () throws(SQLFailure) in
                    try connection.change("""
                        UPDATE files SET key = $3, sha1 = $4, mime = $5, size = $6, mtime = $7
                        WHERE bucket = $1 AND filename = $2 AND key = $8
                        """, fileValues(entry) + [.int(old)])
                }
                if changed == 1 {
                    let previous = try NeedleOperations.bury(old, from: .live, now: now, on: connection)
                    return .replaced(entry, previous: previous)
                }
            }
        }
        throw .backend("commit of \(entry.bucket)/\(entry.filename) lost \(casRounds) races")
    }

    /// The conditional commit: one statement whose own condition is the expectation (the
    /// insert's uniqueness for `.absent`, `AND key = <expected>` for `.key`), so a concurrent
    /// writer either commits first and fails this one, or waits for it; no retry.
    private static func commitExpecting(_ expected: FileExpectation, _ entry: FileEntry, now: UnixNanos,
                                        on connection: SQLConnection) throws(MetadataError) -> CommitOutcome {
        switch expected {
        case .absent:
            guard try insertIfAbsent(entry, on: connection) else {
                throw .expectationFailed(bucket: entry.bucket, filename: entry.filename)
            }
            return .created(entry)
        case .key(let old):
            let changed = try sql { () throws(SQLFailure) in
                try connection.change("""
                    UPDATE files SET key = $3, sha1 = $4, mime = $5, size = $6, mtime = $7
                    WHERE bucket = $1 AND filename = $2 AND key = $8
                    """, fileValues(entry) + [.int(old)])
            }
            guard changed == 1 else { throw .expectationFailed(bucket: entry.bucket, filename: entry.filename) }
            return .replaced(entry, previous: try NeedleOperations.bury(old, from: .live, now: now, on: connection))
        }
    }

    static func abort(_ key: NeedleKey, now: UnixNanos, on connection: SQLConnection) throws(MetadataError) {
        let removed = try sql { () throws(SQLFailure) in
            try connection.change("DELETE FROM allocations WHERE key = $1", [.int(key)])
        }
        guard removed == 1 else { throw .allocationNotPending(key) }
        try NeedleOperations.bury(key, from: .pending, now: now, on: connection)
    }

    static func expiredAllocations(before: UnixNanos, limit: Int, on connection: SQLConnection) throws(MetadataError) -> [Allocation] {
        let rows = try sql { () throws(SQLFailure) in
            try connection.rows("""
                SELECT a.key, n.vid, n.cookie, a.bucket, a.filename, a.mime, a.expires_at
                FROM allocations a JOIN needles n ON n.key = a.key
                WHERE a.expires_at <= $1 ORDER BY a.expires_at, a.key LIMIT $2
                """, [.int(before), .int(Int64(max(0, limit)))])
        }
        return rows.map {
            Allocation(bucket: $0[3].text ?? "", filename: $0[4].text ?? "", needle: NeedleOperations.location($0),
                       mime: $0[5].text, expiresAt: $0[6].int ?? 0)
        }
    }

    static func upload(_ upload: PlainUpload, now: UnixNanos, on connection: SQLConnection) throws(MetadataError) -> UploadOutcome {
        var entry = upload.entry
        guard !entry.filename.isEmpty else { throw .invalidArgument("empty filename") }
        guard entry.size >= 0 else { throw .invalidArgument("size \(entry.size)") }
        for _ in 0..<casRounds {
            if let old = try currentKey(entry.bucket, entry.filename, on: connection) {
                // bfs keeps the needle and updates the row (fixing its stale `mine`, §6 item 14).
                let rows = try sql { () throws(SQLFailure) in
                    try connection.rows("""
                        UPDATE files SET sha1 = $3, mime = $4, size = $5, mtime = $6
                        WHERE bucket = $1 AND filename = $2 AND key = $7 RETURNING key
                        """, [.text(entry.bucket), .text(entry.filename), .text(entry.sha1), .text(entry.mime),
                              .int(entry.size), .int(entry.mtime), .int(old)])
                }
                if !rows.isEmpty {
                    let needle = try sql { () throws(SQLFailure) in
                        try connection.rows("SELECT key, vid, cookie FROM needles WHERE key = $1", [.int(old)])
                    }
                    guard let found = needle.first else { throw .backend("file row without needle \(old)") }
                    entry.needle = NeedleOperations.location(found)
                    return .existing(entry)
                }
            } else {
                try NeedleOperations.insert(entry.needle, state: .live, now: now, on: connection)
                if try insertIfAbsent(entry, on: connection) { return .created(entry) }
                _ = try sql { () throws(SQLFailure) in
                    try connection.change("DELETE FROM needles WHERE key = $1", [.int(entry.needle.key)])
                }
            }
        }
        throw .backend("upload of \(entry.bucket)/\(entry.filename) lost \(casRounds) races")
    }

    static func lookup(bucket: String, filename: String, on connection: SQLConnection) throws(MetadataError) -> FileEntry {
        let rows = try sql { () throws(SQLFailure) in
            try connection.rows("""
                SELECT f.key, n.vid, n.cookie, f.bucket, f.filename, f.sha1, f.mime, f.size, f.mtime
                FROM files f JOIN needles n ON n.key = f.key WHERE f.bucket = $1 AND f.filename = $2
                """, [.text(bucket), .text(filename)])
        }
        guard let row = rows.first else { throw .notFound(bucket: bucket, filename: filename) }
        return entry(row)
    }

    /// With `.key(k)` the delete's own `AND key = k` is the check; with `.absent` any row fails
    /// it (and is left alone), no row is `.notFound` as without an expectation.
    static func delete(bucket: String, filename: String, expecting: FileExpectation? = nil, now: UnixNanos,
                       on connection: SQLConnection) throws(MetadataError) -> FileEntry {
        if expecting == .absent {
            if try currentKey(bucket, filename, on: connection) != nil { throw .expectationFailed(bucket: bucket, filename: filename) }
            throw .notFound(bucket: bucket, filename: filename)
        }
        var condition = ""
        var values: [SQLValue] = [.text(bucket), .text(filename)]
        if case .key(let expected) = expecting {
            condition = " AND key = $3"
            values.append(.int(expected))
        }
        let rows = try sql { () throws(SQLFailure) in
            try connection.rows("""
                DELETE FROM files WHERE bucket = $1 AND filename = $2\(condition) RETURNING key, sha1, mime, size, mtime
                """, values)
        }
        guard let row = rows.first, let key = row[0].int else {
            if expecting != nil { throw .expectationFailed(bucket: bucket, filename: filename) }
            throw .notFound(bucket: bucket, filename: filename)
        }
        let needle = try NeedleOperations.bury(key, from: .live, now: now, on: connection)
        return FileEntry(bucket: bucket, filename: filename, needle: needle, sha1: row[1].text ?? "",
                         mime: row[2].text ?? "", size: row[3].int ?? 0, mtime: row[4].int ?? 0)
    }

    /// Names sort by bytes on both backends, so every name with `prefix` follows `prefix`
    /// directly: read from there and stop at the first name without it.
    static func list(bucket: String, prefix: String, after: String?, limit: Int,
                     on connection: SQLConnection) throws(MetadataError) -> FilePage {
        let limit = max(1, limit)
        // Byte order, as the database compares (Swift's `<` on String is Unicode order).
        let resume = after.flatMap { $0.utf8.lexicographicallyPrecedes(prefix.utf8) ? nil : $0 }
        let start = resume ?? prefix
        let comparison = resume == nil ? ">=" : ">"
        let rows = try sql { () throws(SQLFailure) in
            try connection.rows("""
                SELECT f.key, n.vid, n.cookie, f.bucket, f.filename, f.sha1, f.mime, f.size, f.mtime
                FROM files f JOIN needles n ON n.key = f.key
                WHERE f.bucket = $1 AND f.filename \(comparison) $2 ORDER BY f.filename LIMIT $3
                """, [.text(bucket), .text(start), .int(Int64(limit + 1))])
        }
        let matching = rows.map(entry).prefix { $0.filename.utf8.starts(with: prefix.utf8) }
        let page = Array(matching.prefix(limit))
        return FilePage(entries: page, nextMarker: matching.count > limit ? page.last?.filename : nil)
    }

    /// The key `bucket/filename` points at now, row-locked on PostgreSQL until the transaction ends.
    private static func currentKey(_ bucket: String, _ filename: String, on connection: SQLConnection) throws(MetadataError) -> NeedleKey? {
        try sql { () throws(SQLFailure) in
            try connection.rows("SELECT key FROM files WHERE bucket = $1 AND filename = $2" + connection.dialect.lockRows,
                                [.text(bucket), .text(filename)])
        }.first?.first?.int
    }

    /// Inserts the file row unless the filename exists (then false: another transaction won).
    private static func insertIfAbsent(_ entry: FileEntry, on connection: SQLConnection) throws(MetadataError) -> Bool {
        do throws(SQLFailure) {
            return try connection.change("""
                INSERT INTO files (bucket, filename, key, sha1, mime, size, mtime) VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (bucket, filename) DO NOTHING
                """, fileValues(entry)) == 1
        } catch {
            if case .foreignKey = error { throw .bucketNotFound(entry.bucket) }
            throw error.metadataError
        }
    }

    private static func fileValues(_ entry: FileEntry) -> [SQLValue] {
        [.text(entry.bucket), .text(entry.filename), .int(entry.needle.key), .text(entry.sha1), .text(entry.mime),
         .int(entry.size), .int(entry.mtime)]
    }

    private static func entry(_ row: SQLRow) -> FileEntry {
        FileEntry(bucket: row[3].text ?? "", filename: row[4].text ?? "", needle: NeedleOperations.location(row),
                  sha1: row[5].text ?? "", mime: row[6].text ?? "", size: row[7].int ?? 0, mtime: row[8].int ?? 0)
    }
}
