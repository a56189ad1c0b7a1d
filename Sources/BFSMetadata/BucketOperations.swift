/// The bucket statements, written once for both backends; each runs on an executor thread.
enum BucketOperations {
    private static let columns = "name, flags, key_id, secret, domain, cache_policy"

    static func create(_ bucket: Bucket, on connection: SQLConnection) throws(MetadataError) -> Bucket {
        guard !bucket.name.isEmpty else { throw .invalidArgument("empty bucket name") }
        do throws(SQLFailure) {
            _ = try connection.change("INSERT INTO buckets (\(columns)) VALUES ($1, $2, $3, $4, $5, $6)", [
                .text(bucket.name), .int(bucket.flags.rawValue), .text(bucket.keyID), .text(bucket.secret),
                .text(bucket.domain), .text(bucket.cachePolicy)])
            return bucket
        } catch {
            if case .unique(let message) = error {
                throw message.contains("key_id") ? .keyIDExists(bucket.keyID) : .bucketExists(bucket.name)
            }
            if case .check = error { throw .invalidArgument("flags \(bucket.flags.rawValue)") }
            throw error.metadataError
        }
    }

    static func named(_ name: String, on connection: SQLConnection) throws(MetadataError) -> Bucket {
        try one("SELECT \(columns) FROM buckets WHERE name = $1", name, on: connection)
    }

    static func withKeyID(_ keyID: String, on connection: SQLConnection) throws(MetadataError) -> Bucket {
        try one("SELECT \(columns) FROM buckets WHERE key_id = $1", keyID, on: connection)
    }

    static func list(on connection: SQLConnection) throws(MetadataError) -> [Bucket] {
        do throws(SQLFailure) {
            return try connection.rows("SELECT \(columns) FROM buckets ORDER BY name").map(bucket)
        } catch { throw error.metadataError }
    }

    static func update(_ name: String, _ update: BucketUpdate, on connection: SQLConnection) throws(MetadataError) -> Bucket {
        if let flags = update.flags, !BucketFlags.all.isSuperset(of: flags) {
            throw .invalidArgument("flags \(flags.rawValue)")
        }
        return try one("""
            UPDATE buckets SET flags = COALESCE($2, flags), domain = COALESCE($3, domain),
                cache_policy = COALESCE($4, cache_policy)
            WHERE name = $1 RETURNING \(columns)
            """, name, [update.flags.map { .int($0.rawValue) } ?? .null,
                        update.domain.map { .text($0) } ?? .null,
                        update.cachePolicy.map { .text($0) } ?? .null], on: connection)
    }

    static func rotateKey(_ name: String, keyID: String, secret: String, on connection: SQLConnection) throws(MetadataError) -> Bucket {
        do throws(MetadataError) {
            return try one("UPDATE buckets SET key_id = $2, secret = $3 WHERE name = $1 RETURNING \(columns)",
                           name, [.text(keyID), .text(secret)], on: connection)
        } catch {
            if case .backend(let message) = error, message.contains("key_id") { throw .keyIDExists(keyID) }
            throw error
        }
    }

    /// The single bucket a statement keyed by `key` returns, or `.bucketNotFound(key)`.
    private static func one(_ sql: String, _ key: String, _ more: [SQLValue] = [],
                            on connection: SQLConnection) throws(MetadataError) -> Bucket {
        let rows: [SQLRow]
        do throws(SQLFailure) { rows = try connection.rows(sql, [.text(key)] + more) } catch { throw error.metadataError }
        guard let row = rows.first else { throw .bucketNotFound(key) }
        return bucket(row)
    }

    private static func bucket(_ row: SQLRow) -> Bucket {
        Bucket(name: row[0].text ?? "", flags: BucketFlags(rawValue: row[1].int ?? 0), keyID: row[2].text ?? "",
               secret: row[3].text ?? "", domain: row[4].text ?? "", cachePolicy: row[5].text ?? "")
    }
}
