import BFSCore
import Foundation

/// `MetadataStore` over SQL: the operations run on an executor's threads, writes group committed.
///
/// `SQLMetadataStore.sqlite(path:)` is the embedded default: one writer connection (SQLite
/// allows one writer; WAL lets the readers go on meanwhile) and a few reader connections.
/// `SQLMetadataStore.postgres(conninfo:)` is for several directories sharing one database: a few
/// writer connections each group committing, and a few readers.
public final class SQLMetadataStore: MetadataStore {
    /// Thread and queue sizes.
    public struct Limits: Sendable {
        /// Connections (threads) doing writes; SQLite always uses one.
        public var writers: Int
        /// Connections (threads) doing reads.
        public var readers: Int
        /// Waiting calls per queue (writes, reads) before `.overloaded`.
        public var queueLimit: Int
        /// Calls per write transaction at most.
        public var batchLimit: Int

        /// Limits; the defaults suit a directory on a small machine.
        public init(writers: Int = 2, readers: Int = 2, queueLimit: Int = 10_000, batchLimit: Int = 256) {
            self.writers = writers
            self.readers = readers
            self.queueLimit = queueLimit
            self.batchLimit = batchLimit
        }
    }

    /// The threads and queues (tests hold a writer or read its transaction count).
    let executor: MetadataExecutor

    private init(executor: MetadataExecutor) { self.executor = executor }

    /// Opens (creating) the SQLite database at `path` and brings its schema up to date.
    /// Blocks while migrating: call it at startup, not on a loop.
    public static func sqlite(path: String, limits: Limits = Limits()) throws(MetadataError) -> SQLMetadataStore {
        try open(limits: limits, writers: 1) { () throws(SQLFailure) in try SQLiteConnection(path: path) }
    }

    /// Connects to PostgreSQL (`conninfo` as libpq takes it) and brings its schema up to date.
    /// Blocks while connecting and migrating: call it at startup, not on a loop.
    public static func postgres(conninfo: String, limits: Limits = Limits()) throws(MetadataError) -> SQLMetadataStore {
        try open(limits: limits, writers: limits.writers) { () throws(SQLFailure) in try PostgresConnection(conninfo: conninfo) }
    }

    private static func open(limits: Limits, writers: Int,
                             connect: () throws(SQLFailure) -> SQLConnection) throws(MetadataError) -> SQLMetadataStore {
        var connections: [SQLConnection] = []
        do throws(SQLFailure) {
            for _ in 0..<(max(1, writers) + max(1, limits.readers)) { connections.append(try connect()) }
        } catch {
            connections.forEach { $0.close() }
            throw error.metadataError
        }
        do throws(MetadataError) {
            try MetadataSchema.migrate(connections[0])
        } catch {
            connections.forEach { $0.close() }
            throw error
        }
        let writerCount = max(1, writers)
        return SQLMetadataStore(executor: MetadataExecutor(
            writers: Array(connections.prefix(writerCount)), readers: Array(connections.dropFirst(writerCount)),
            queueLimit: limits.queueLimit, batchLimit: limits.batchLimit))
    }

    public func createBucket(_ bucket: NewBucket, completion: @escaping MetadataCompletion<Bucket>) {
        let row = Bucket(name: bucket.name, flags: bucket.flags, keyID: bucket.keyID ?? Self.randomHex(bytes: 8),
                         secret: bucket.secret ?? Self.randomHex(bytes: 16), domain: bucket.domain, cachePolicy: bucket.cachePolicy)
        executor.write({ connection throws(MetadataError) in try BucketOperations.create(row, on: connection) }, completion: completion)
    }

    public func bucket(named name: String, completion: @escaping MetadataCompletion<Bucket>) {
        executor.read({ connection throws(MetadataError) in try BucketOperations.named(name, on: connection) }, completion: completion)
    }

    public func bucket(keyID: String, completion: @escaping MetadataCompletion<Bucket>) {
        executor.read({ connection throws(MetadataError) in try BucketOperations.withKeyID(keyID, on: connection) }, completion: completion)
    }

    public func listBuckets(completion: @escaping MetadataCompletion<[Bucket]>) {
        executor.read({ connection throws(MetadataError) in try BucketOperations.list(on: connection) }, completion: completion)
    }

    public func updateBucket(named name: String, _ update: BucketUpdate, completion: @escaping MetadataCompletion<Bucket>) {
        executor.write({ connection throws(MetadataError) in try BucketOperations.update(name, update, on: connection) },
                       completion: completion)
    }

    public func rotateBucketKey(named name: String, completion: @escaping MetadataCompletion<Bucket>) {
        let keyID = Self.randomHex(bytes: 8)
        let secret = Self.randomHex(bytes: 16)
        executor.write({ connection throws(MetadataError) in
            try BucketOperations.rotateKey(name, keyID: keyID, secret: secret, on: connection)
        }, completion: completion)
    }

    public func allocate(_ allocation: Allocation, completion: @escaping MetadataCompletion<Void>) {
        let now = Self.now()
        executor.write({ connection throws(MetadataError) in try FileOperations.allocate(allocation, now: now, on: connection) },
                       completion: completion)
    }

    public func commit(_ commit: FileCommit, completion: @escaping MetadataCompletion<CommitOutcome>) {
        let now = Self.now()
        executor.write({ connection throws(MetadataError) in try FileOperations.commit(commit, now: now, on: connection) },
                       completion: completion)
    }

    public func abort(key: NeedleKey, completion: @escaping MetadataCompletion<Void>) {
        let now = Self.now()
        executor.write({ connection throws(MetadataError) in try FileOperations.abort(key, now: now, on: connection) },
                       completion: completion)
    }

    public func expiredAllocations(before: UnixNanos, limit: Int, completion: @escaping MetadataCompletion<[Allocation]>) {
        executor.read({ connection throws(MetadataError) in
            try FileOperations.expiredAllocations(before: before, limit: limit, on: connection)
        }, completion: completion)
    }

    public func upload(_ upload: PlainUpload, completion: @escaping MetadataCompletion<UploadOutcome>) {
        let now = Self.now()
        executor.write({ connection throws(MetadataError) in try FileOperations.upload(upload, now: now, on: connection) },
                       completion: completion)
    }

    public func lookup(bucket: String, filename: String, completion: @escaping MetadataCompletion<FileEntry>) {
        executor.read({ connection throws(MetadataError) in
            try FileOperations.lookup(bucket: bucket, filename: filename, on: connection)
        }, completion: completion)
    }

    public func delete(bucket: String, filename: String, expecting: FileExpectation?,
                       completion: @escaping MetadataCompletion<FileEntry>) {
        let now = Self.now()
        executor.write({ connection throws(MetadataError) in
            try FileOperations.delete(bucket: bucket, filename: filename, expecting: expecting, now: now, on: connection)
        }, completion: completion)
    }

    public func listFiles(bucket: String, prefix: String, after: String?, limit: Int,
                          completion: @escaping MetadataCompletion<FilePage>) {
        executor.read({ connection throws(MetadataError) in
            try FileOperations.list(bucket: bucket, prefix: prefix, after: after, limit: limit, on: connection)
        }, completion: completion)
    }

    public func pendingTombstones(now: UnixNanos, limit: Int, completion: @escaping MetadataCompletion<[Tombstone]>) {
        executor.read({ connection throws(MetadataError) in
            try NeedleOperations.pendingTombstones(now: now, limit: limit, on: connection)
        }, completion: completion)
    }

    public func confirmTombstone(key: NeedleKey, completion: @escaping MetadataCompletion<Void>) {
        executor.write({ connection throws(MetadataError) in try NeedleOperations.confirmTombstone(key, on: connection) },
                       completion: completion)
    }

    public func postponeTombstone(key: NeedleKey, until nextAttemptAt: UnixNanos, completion: @escaping MetadataCompletion<Void>) {
        executor.write({ connection throws(MetadataError) in
            try NeedleOperations.postponeTombstone(key, until: nextAttemptAt, on: connection)
        }, completion: completion)
    }

    public func close(completion: @escaping @Sendable () -> Void) {
        executor.close(completion: completion)
    }

    /// The current time in unix nanoseconds.
    static func now() -> UnixNanos {
        UnixNanos(Date().timeIntervalSince1970 * 1_000_000_000)
    }

    /// `bytes` random bytes from the system CSPRNG, as lowercase hex.
    static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
