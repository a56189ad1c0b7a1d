import BFSCore

/// `async` forms of every `MetadataStore` call, for tests and the CLI (services use completions).
extension MetadataStore {
    private func bridge<T: Sendable>(_ call: (@escaping MetadataCompletion<T>) -> Void) async throws(MetadataError) -> T {
        let result: Result<T, MetadataError> = await withCheckedContinuation { continuation in
            call { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// See `createBucket(_:completion:)`.
    public func createBucket(_ bucket: NewBucket) async throws(MetadataError) -> Bucket {
        try await bridge { createBucket(bucket, completion: $0) }
    }

    /// See `bucket(named:completion:)`.
    public func bucket(named name: String) async throws(MetadataError) -> Bucket {
        try await bridge { bucket(named: name, completion: $0) }
    }

    /// See `bucket(keyID:completion:)`.
    public func bucket(keyID: String) async throws(MetadataError) -> Bucket {
        try await bridge { bucket(keyID: keyID, completion: $0) }
    }

    /// See `listBuckets(completion:)`.
    public func listBuckets() async throws(MetadataError) -> [Bucket] {
        try await bridge { listBuckets(completion: $0) }
    }

    /// See `updateBucket(named:_:completion:)`.
    public func updateBucket(named name: String, _ update: BucketUpdate) async throws(MetadataError) -> Bucket {
        try await bridge { updateBucket(named: name, update, completion: $0) }
    }

    /// See `rotateBucketKey(named:completion:)`.
    public func rotateBucketKey(named name: String) async throws(MetadataError) -> Bucket {
        try await bridge { rotateBucketKey(named: name, completion: $0) }
    }

    /// See `allocate(_:completion:)`.
    public func allocate(_ allocation: Allocation) async throws(MetadataError) {
        try await bridge { allocate(allocation, completion: $0) }
    }

    /// See `commit(_:completion:)`.
    public func commit(_ commit: FileCommit) async throws(MetadataError) -> CommitOutcome {
        try await bridge { self.commit(commit, completion: $0) }
    }

    /// See `abort(key:completion:)`.
    public func abort(key: NeedleKey) async throws(MetadataError) {
        try await bridge { abort(key: key, completion: $0) }
    }

    /// See `expiredAllocations(before:limit:completion:)`.
    public func expiredAllocations(before: UnixNanos, limit: Int) async throws(MetadataError) -> [Allocation] {
        try await bridge { expiredAllocations(before: before, limit: limit, completion: $0) }
    }

    /// See `upload(_:completion:)`.
    public func upload(_ upload: PlainUpload) async throws(MetadataError) -> UploadOutcome {
        try await bridge { self.upload(upload, completion: $0) }
    }

    /// See `lookup(bucket:filename:completion:)`.
    public func lookup(bucket: String, filename: String) async throws(MetadataError) -> FileEntry {
        try await bridge { lookup(bucket: bucket, filename: filename, completion: $0) }
    }

    /// See `delete(bucket:filename:expecting:completion:)`.
    public func delete(bucket: String, filename: String, expecting: FileExpectation? = nil) async throws(MetadataError) -> FileEntry {
        try await bridge { delete(bucket: bucket, filename: filename, expecting: expecting, completion: $0) }
    }

    /// See `listFiles(bucket:prefix:after:limit:completion:)`.
    public func listFiles(bucket: String, prefix: String = "", after: String? = nil, limit: Int) async throws(MetadataError) -> FilePage {
        try await bridge { listFiles(bucket: bucket, prefix: prefix, after: after, limit: limit, completion: $0) }
    }

    /// See `pendingTombstones(now:limit:completion:)`.
    public func pendingTombstones(now: UnixNanos, limit: Int) async throws(MetadataError) -> [Tombstone] {
        try await bridge { pendingTombstones(now: now, limit: limit, completion: $0) }
    }

    /// See `confirmTombstone(key:completion:)`.
    public func confirmTombstone(key: NeedleKey) async throws(MetadataError) {
        try await bridge { confirmTombstone(key: key, completion: $0) }
    }

    /// See `postponeTombstone(key:until:completion:)`.
    public func postponeTombstone(key: NeedleKey, until nextAttemptAt: UnixNanos) async throws(MetadataError) {
        try await bridge { postponeTombstone(key: key, until: nextAttemptAt, completion: $0) }
    }

    /// See `close(completion:)`.
    public func close() async {
        await withCheckedContinuation { continuation in close { continuation.resume() } }
    }
}
