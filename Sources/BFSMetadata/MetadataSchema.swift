import Foundation

/// The metadata schema, as numbered migrations applied in order at startup (one transaction).
///
/// Tables after the last migration (both backends; `{name}` is `TEXT` on SQLite and
/// `TEXT COLLATE "C"` on PostgreSQL, so names sort by bytes on both):
///
/// | Table | Column | Type | Constraint / meaning |
/// |---|---|---|---|
/// | `schema_migrations` | `version` | INTEGER | PK; one row per applied migration |
/// | `buckets` | `name` | {name} | PK |
/// | | `flags` | INTEGER | CHECK 0...3: bit 0 public read, bit 1 public write |
/// | | `key_id` | TEXT | UNIQUE; names the secret in a token |
/// | | `secret` | TEXT | token signing secret |
/// | | `domain`, `cache_policy` | TEXT | "" when unset |
/// | `needles` | `key` | BIGINT | PK; snowflake needle key |
/// | | `vid`, `cookie` | INTEGER | where it lives, what a read presents |
/// | | `state` | INTEGER | CHECK 0 pending, 1 live, 2 tombstone; UNIQUE (`key`, `state`) |
/// | | `created_at` | BIGINT | unix ns |
/// | `allocations` | `key` | BIGINT | PK; FK (`key`, `state` = 0) -> needles |
/// | | `bucket` | {name} | FK -> buckets |
/// | | `filename`, `mime` | {name}, TEXT | target name; MIME or NULL |
/// | | `expires_at` | BIGINT | unix ns; indexed for the reaper |
/// | `files` | (`bucket`, `filename`) | {name} | PK; bucket FK -> buckets |
/// | | `key` | BIGINT | UNIQUE; FK (`key`, `state` = 1) -> needles |
/// | | `sha1`, `mime` | TEXT | hex SHA-1, MIME type |
/// | | `size`, `mtime` | BIGINT | CHECK size >= 0; mtime unix ns (as bfs) |
/// | `tombstones` | `key` | BIGINT | PK; FK (`key`, `state` = 2) -> needles |
/// | | `attempts` | INTEGER | failed delete rounds |
/// | | `next_attempt_at` | BIGINT | unix ns; indexed for the reaper |
///
/// A needle's state is its row's `state`, and each of `allocations`, `files`, `tombstones` may
/// only hold keys whose needle is in its own state: the composite foreign keys make the
/// database refuse a needle that is pending and live at once, or a file pointing at a deleted
/// needle. A transition therefore removes the child row, changes `needles.state` (guarded by
/// `WHERE state = <from>`), then inserts the next child row, all in one transaction. A file
/// row's state is being there: deleting a file removes its row and tombstones its needle;
/// a pending upload lives in `allocations`, so the old version stays visible until commit.
///
/// Migrations are append-only: a shipped one is never edited (the golden test pins the
/// resulting columns); a change is a new, higher-numbered migration.
enum MetadataSchema {
    /// (version, statements); `{name}` is replaced by the dialect's name type.
    static let migrations: [(version: Int, sql: String)] = [
        (1, """
            CREATE TABLE buckets (
                name {name} PRIMARY KEY,
                flags INTEGER NOT NULL CHECK (flags BETWEEN 0 AND 3),
                key_id TEXT NOT NULL UNIQUE,
                secret TEXT NOT NULL,
                domain TEXT NOT NULL,
                cache_policy TEXT NOT NULL
            );
            CREATE TABLE needles (
                key BIGINT PRIMARY KEY,
                vid INTEGER NOT NULL,
                cookie INTEGER NOT NULL,
                state INTEGER NOT NULL CHECK (state IN (0, 1, 2)),
                created_at BIGINT NOT NULL,
                UNIQUE (key, state)
            );
            CREATE TABLE allocations (
                key BIGINT PRIMARY KEY,
                needle_state INTEGER NOT NULL DEFAULT 0 CHECK (needle_state = 0),
                bucket {name} NOT NULL REFERENCES buckets (name),
                filename {name} NOT NULL,
                mime TEXT,
                expires_at BIGINT NOT NULL,
                FOREIGN KEY (key, needle_state) REFERENCES needles (key, state)
            );
            CREATE INDEX allocations_expires_at ON allocations (expires_at);
            CREATE TABLE files (
                bucket {name} NOT NULL REFERENCES buckets (name),
                filename {name} NOT NULL,
                key BIGINT NOT NULL UNIQUE,
                needle_state INTEGER NOT NULL DEFAULT 1 CHECK (needle_state = 1),
                sha1 TEXT NOT NULL,
                mime TEXT NOT NULL,
                size BIGINT NOT NULL CHECK (size >= 0),
                mtime BIGINT NOT NULL,
                PRIMARY KEY (bucket, filename),
                FOREIGN KEY (key, needle_state) REFERENCES needles (key, state)
            );
            CREATE TABLE tombstones (
                key BIGINT PRIMARY KEY,
                needle_state INTEGER NOT NULL DEFAULT 2 CHECK (needle_state = 2),
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at BIGINT NOT NULL,
                FOREIGN KEY (key, needle_state) REFERENCES needles (key, state)
            );
            CREATE INDEX tombstones_next_attempt_at ON tombstones (next_attempt_at)
            """),
    ]

    /// The newest version this binary knows.
    static var latestVersion: Int { migrations.last?.version ?? 0 }

    /// Applies every migration newer than the database's, in one transaction. Several
    /// directories starting at once against one PostgreSQL serialize on an advisory lock;
    /// SQLite's `BEGIN IMMEDIATE` does the same for processes sharing a file.
    static func migrate(_ connection: SQLConnection) throws(MetadataError) {
        let found: Int
        do throws(SQLFailure) {
            try connection.script(connection.dialect.begin)
            if let lock = connection.dialect.migrationLock { _ = try connection.rows(lock) }
            try connection.script("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)")
            found = Int(try connection.rows("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").first?.first?.int ?? 0)
            for migration in migrations where migration.version > found {
                try connection.script(migration.sql.replacingOccurrences(of: "{name}", with: connection.dialect.nameType))
                _ = try connection.change("INSERT INTO schema_migrations (version) VALUES ($1)", [.int(Int64(migration.version))])
            }
            try connection.script("COMMIT")
        } catch {
            try? connection.script("ROLLBACK")
            throw .backend("migration: \(error)")
        }
        // A newer binary migrated this database; running on would misread its rows.
        guard found <= latestVersion else { throw .schemaTooNew(found: found, known: latestVersion) }
    }
}
