import BFSCore

/// A completion called once, on the metadata store's own thread; loop callers hop back to their loop.
public typealias MetadataCompletion<T: Sendable> = @Sendable (Result<T, MetadataError>) -> Void

/// The directory's metadata: buckets, files, needles, pending allocations and delete tombstones.
///
/// Every call is completion based and never blocks the caller: the work runs on the store's own
/// bounded threads, and a full queue fails at once with `.overloaded`. Writes are group committed
/// (many calls share one durable transaction), each in its own savepoint so one call's failure
/// fails only that call. Invariants (one file per `bucket/filename`, one state per needle key,
/// pending -> committed/aborted exactly once) are enforced by constraints and transactions in the
/// database, so several directories sharing one PostgreSQL stay consistent.
public protocol MetadataStore: Sendable {
    /// Creates a bucket; a nil key id or secret is generated. Fails `.bucketExists`, `.keyIDExists`.
    func createBucket(_ bucket: NewBucket, completion: @escaping MetadataCompletion<Bucket>)
    /// The bucket with this name, or `.bucketNotFound`.
    func bucket(named name: String, completion: @escaping MetadataCompletion<Bucket>)
    /// The bucket with this key id, or `.bucketNotFound`.
    func bucket(keyID: String, completion: @escaping MetadataCompletion<Bucket>)
    /// Every bucket, by name.
    func listBuckets(completion: @escaping MetadataCompletion<[Bucket]>)
    /// Changes flags, domain or cache policy; returns the bucket as it is now.
    func updateBucket(named name: String, _ update: BucketUpdate, completion: @escaping MetadataCompletion<Bucket>)
    /// Replaces key id and secret with fresh random ones; returns the bucket with the new ones.
    func rotateBucketKey(named name: String, completion: @escaping MetadataCompletion<Bucket>)

    /// Reserves a needle for `bucket/filename` (pending until commit or abort).
    /// Fails `.bucketNotFound`, `.keyExists`.
    func allocate(_ allocation: Allocation, completion: @escaping MetadataCompletion<Void>)
    /// Points the file at the allocated needle; a replaced needle becomes a tombstone in the same
    /// transaction. Fails `.allocationNotPending` for an unknown, committed or aborted key, and
    /// `.expectationFailed` (the allocation stays pending) when `commit.expecting` is unmet.
    func commit(_ commit: FileCommit, completion: @escaping MetadataCompletion<CommitOutcome>)
    /// Turns a pending allocation into a tombstone (the reaper uses this for expired ones too).
    func abort(key: NeedleKey, completion: @escaping MetadataCompletion<Void>)
    /// Pending allocations whose `expiresAt` is at or before `before`, oldest first.
    func expiredAllocations(before: UnixNanos, limit: Int, completion: @escaping MetadataCompletion<[Allocation]>)

    /// bfs `/upload`: a new filename becomes visible at once; an existing one keeps its needle
    /// and takes the new sha1, mime, size and mtime.
    func upload(_ upload: PlainUpload, completion: @escaping MetadataCompletion<UploadOutcome>)
    /// The visible file, or `.notFound`.
    func lookup(bucket: String, filename: String, completion: @escaping MetadataCompletion<FileEntry>)
    /// Removes the file; its needle becomes a tombstone. Returns the removed entry. With
    /// `expecting`, fails `.expectationFailed` when the row is not as expected (`.absent` and no
    /// row is still `.notFound`).
    func delete(bucket: String, filename: String, expecting: FileExpectation?, completion: @escaping MetadataCompletion<FileEntry>)
    /// Files of `bucket` whose names start with `prefix`, after `after` (exclusive), in byte order.
    func listFiles(bucket: String, prefix: String, after: String?, limit: Int,
                   completion: @escaping MetadataCompletion<FilePage>)

    /// Tombstones due at `now`, longest waiting first.
    func pendingTombstones(now: UnixNanos, limit: Int, completion: @escaping MetadataCompletion<[Tombstone]>)
    /// Every replica deleted the needle: forget the tombstone and the needle.
    func confirmTombstone(key: NeedleKey, completion: @escaping MetadataCompletion<Void>)
    /// A delete round failed: count the attempt and wait until `nextAttemptAt`.
    func postponeTombstone(key: NeedleKey, until nextAttemptAt: UnixNanos, completion: @escaping MetadataCompletion<Void>)

    /// Finishes queued work, then closes every connection; later calls fail `.closed`.
    func close(completion: @escaping @Sendable () -> Void)
}

extension MetadataStore {
    /// Removes the file unconditionally (`delete(bucket:filename:expecting:completion:)` with nil).
    public func delete(bucket: String, filename: String, completion: @escaping MetadataCompletion<FileEntry>) {
        delete(bucket: bucket, filename: filename, expecting: nil, completion: completion)
    }
}
