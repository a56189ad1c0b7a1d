import BFSCore
import Synchronization

/// One file to append: key, cookie and data.
public struct NeedleInput: Sendable {
    /// The needle key.
    public var key: Int64
    /// The cookie readers must present.
    public var cookie: Int32
    /// The file bytes.
    public var data: [UInt8]

    /// A needle to append.
    public init(key: Int64, cookie: Int32, data: [UInt8]) {
        self.key = key
        self.cookie = cookie
        self.data = data
    }
}

/// A volume: one block file of needles, its index hint, and its in-memory needle map.
///
/// Appends are serialised by the append lock (one `pwrite` at the tail each; from the caller's
/// thread with `append`, or from the volume's append thread with `submit`, which a loop thread
/// may call) and handed to the volume's flusher thread, which runs one `fdatasync` for everything that arrived while the
/// previous one ran (group commit) and then completes them on its own thread. A needle becomes
/// visible to reads only once it is durable. Reads take the state lock only for the map lookup;
/// the `pread`/`sendfile` runs without any lock. Deletes write the flag byte in place and complete
/// after the sync that covers it. Completions run on the flusher thread, never on a loop thread:
/// the caller hops them onto its loop. Call `close()` when done: the flusher threads keep the
/// volume alive until then.
public final class Volume: Sendable {
    /// The volume id.
    public let id: VolumeID
    /// Path of the block file (changes when a compaction swaps files).
    public var blockPath: String { shared.withLock { $0.blockPath } }
    /// Path of the index file (changes when a compaction swaps files).
    public var indexPath: String { shared.withLock { $0.indexPath } }
    /// What recovery found when the volume was opened.
    public let recoveryReport: RecoveryReport
    let settings: VolumeSettings

    struct Shared: ~Copyable {
        var map: NeedleMap
        var block: BlockHandle
        /// One descriptor of the block per flusher lane, used only for its `fdatasync` (see
        /// `startFlusher` for why they are separate).
        var syncFiles: [StorageFile]
        var closed = false
        var failed = false
        var durableEnd: Int64
        var blockPath: String
        var indexPath: String
        var compacting = false
        /// Drawn anew when a compaction swaps the files (see `Volume.generation`).
        var generation = UInt64.random(in: 1...UInt64.max)
    }

    struct Appender {
        var end: Int64
    }

    // Lock order: a thread holding one of these takes only locks listed after it.
    //
    //   (store admin) → appender → sealed → publishLock → queue → shared → index → flagsUnsynced
    //
    // - `appender` serialises appends, deletes and compaction's swap; it is held around the tail
    //   `pwrite` and while compaction or `deletedKeys` waits for the flusher to drain, so the
    //   flusher lanes must never take it (they take publishLock, queue, shared, index,
    //   flagsUnsynced only).
    // - The store's admin lock is never taken while `appender` is held or the volume is sealed:
    //   compaction takes it (its `commitLock`) before the append lock and seals only inside it,
    //   so a compaction waiting for it leaves appends running, and an admin thread may close the
    //   volume (which takes `appender` briefly) while holding it.
    // - `sealed` and `finished` are condition variables: waited on holding no other lock.
    // - `inbox` (submitted appends) is taken holding no other lock and takes none: by `submit`
    //   (a loop thread), by the append thread between appends, and by `close`.
    // - Completions run under `publishLock` (in batch order): they must not call back into the
    //   volume synchronously.
    // - `shared` is the only lock a read takes, once per lookup; whole-map walks take it per
    //   chunk (`collectMap`).
    let shared: Mutex<Shared>
    let appender: Mutex<Appender>
    /// True while a compaction commits: appends and deletes wait (after taking and dropping the
    /// append lock) until it has swapped files, so nothing is acknowledged on files a restart
    /// would no longer open.
    let sealed = WakeSignal(false)
    let queue = WakeSignal(CommitQueue())
    /// Appends submitted by loop threads for the append thread (`Volume+Submit.swift`).
    let inbox = WakeSignal(AppendInbox())
    /// How many flusher lanes have exited.
    let finished = WakeSignal(0)
    /// Orders the publication of synced batches across lanes.
    let publishLock = Mutex(())
    /// Whether overwrite flags were written after the last sync.
    let flagsUnsynced = Mutex(false)
    /// The index hint writer; swapped by compaction, so the flusher reaches it through the lock.
    let index: Mutex<IndexWriter>
    let fileSystem: FileSystem
    let syncCount = Atomic<Int>(0)
    let syncedOperations = Atomic<Int>(0)
    let compactionProgress = Atomic<Int64>(0)
    let compactionTotal = Atomic<Int64>(0)

    /// Opens the volume at `blockPath`/`indexPath`, running recovery; the files must exist (a new
    /// volume is made by `VolumeFiles.create`).
    public init(id: VolumeID, blockPath: String, indexPath: String, fileSystem: FileSystem,
                settings: VolumeSettings = VolumeSettings()) throws(StorageError) {
        let blockFile = try fileSystem.open(blockPath, create: false)
        let syncFiles: [StorageFile], indexFile: StorageFile
        do { syncFiles = try Volume.openSyncFiles(blockPath, lanes: settings.syncLanes, fileSystem: fileSystem) } catch {
            blockFile.close()
            throw error
        }
        do { indexFile = try fileSystem.open(indexPath, create: true) } catch {
            blockFile.close()
            syncFiles.forEach { $0.close() }
            throw error
        }
        var recovered: RecoveredVolume
        do {
            recovered = try VolumeRecovery.recover(block: blockFile, index: indexFile, settings: settings)
        } catch {
            blockFile.close()
            syncFiles.forEach { $0.close() }
            indexFile.close()
            throw error
        }
        let blockEnd = recovered.blockEnd
        self.id = id
        self.fileSystem = fileSystem
        self.settings = settings
        self.recoveryReport = recovered.report
        self.index = Mutex(IndexWriter(file: indexFile, end: recovered.indexEnd, batch: settings.indexBatchRecords))
        let map = recovered.takeMap()
        self.shared = Mutex(Shared(map: map, block: BlockHandle(file: blockFile), syncFiles: syncFiles,
                                   durableEnd: blockEnd, blockPath: blockPath, indexPath: indexPath))
        self.appender = Mutex(Appender(end: blockEnd))
        startFlusher()
    }

    /// Appends one needle; `completion` runs on the flusher thread once it is durable (or failed).
    public func append(key: Int64, cookie: Int32, data: [UInt8],
                       completion: @escaping @Sendable (Result<NeedleLocation, StorageError>) -> Void) {
        append([NeedleInput(key: key, cookie: cookie, data: data)]) { result in
            completion(result.map { $0[0] })
        }
    }

    /// Appends several needles with one `pwrite` and one sync (Haystack's multi-write); all or none
    /// are acknowledged. An existing key is overwritten: the new needle wins, the old one is flagged.
    ///
    /// The encode and `pwrite` run on the calling thread under the append lock, so call it from a
    /// worker thread, not a loop thread. `completion` runs on the flusher thread after the covering
    /// `fdatasync`; errors found before anything was queued (too large, closed, failed, full, a
    /// failed `pwrite`) complete at once on the calling thread. Completions must not block or call
    /// back into this volume synchronously: hop them onto a loop.
    public func append(_ needles: [NeedleInput],
                       completion: @escaping @Sendable (Result<[NeedleLocation], StorageError>) -> Void) {
        for n in needles where n.data.count > settings.needleMaxSize {
            return completion(.failure(.needleTooLarge(size: n.data.count)))
        }
        append(NeedleBatch(needles), completion: completion)
    }

    /// Appends needles already encoded as they streamed in (`NeedleBatch`), with one `pwrite` and
    /// one sync; otherwise as `append(_ needles:completion:)`. An empty or incomplete batch (a
    /// needle not ended or without its header) fails with `.badBatch`.
    public func append(_ batch: NeedleBatch,
                       completion: @escaping @Sendable (Result<[NeedleLocation], StorageError>) -> Void) {
        guard batch.count > 0, batch.isComplete else { return completion(.failure(.badBatch)) }
        for e in batch.entries where e.dataSize > settings.needleMaxSize {
            return completion(.failure(.needleTooLarge(size: e.dataSize)))
        }
        let total = batch.bytes.count
        let error: StorageError? = withAppendLock { (a: inout Appender) -> StorageError? in
            let (closed, failed, block) = shared.withLock { ($0.closed, $0.failed, $0.block) }
            if closed { return .volumeClosed }
            if failed { return .volumeFailed }
            // The last needle must still start at an addressable unit (u32 offsets).
            guard (a.end + Int64(total)) / 8 - 1 <= Int64(SuperBlockFormat.maxOffsetUnits) else { return .volumeFull }
            let start = a.end
            do throws(StorageError) {
                try batch.bytes.withUnsafeBytes { b in
                    Result { () throws(StorageError) in try block.file.write(b, at: start) }
                }.get()
            } catch {
                return error
            }
            var records: [IndexRecord] = []
            records.reserveCapacity(batch.count)
            for e in batch.entries {
                records.append(IndexRecord(key: e.key, offsetUnits: UInt32((start + Int64(e.start)) / 8),
                                           totalSize: UInt32(e.totalSize)))
            }
            let at = start + Int64(total)
            a.end = at
            queue.update { $0.jobs.append(.append(records: records, end: at, completion: completion)) }
            return nil
        }
        if let error { completion(.failure(error)) }
    }

    /// Deletes `key`: writes the flag byte in place, completes after the sync covering it (same
    /// threading rules as `append`). Reads see the delete as soon as the flag is written.
    public func delete(key: Int64, completion: @escaping @Sendable (Result<Void, StorageError>) -> Void) {
        let error: StorageError? = withAppendLock { (_: inout Appender) -> StorageError? in
            let found: Result<(NeedleLocation, BlockHandle), StorageError> = shared.withLock { s in
                if s.closed { return .failure(.volumeClosed) }
                if s.failed { return .failure(.volumeFailed) }
                guard let loc = s.map.get(key) else { return .failure(.needleNotFound) }
                if loc.isDeleted { return .failure(.needleDeleted) }
                return .success((loc, s.block))
            }
            guard case .success(let (loc, block)) = found else {
                if case .failure(let e) = found { return e }
                return nil
            }
            do throws(StorageError) {
                try Volume.writeDeletedFlag(block.file, needleAtUnits: loc.offsetUnits)
            } catch {
                return error
            }
            shared.withLock { s in
                if let now = s.map.get(key), now.offsetUnits == loc.offsetUnits { _ = s.map.markDeleted(key) }
            }
            queue.update { $0.jobs.append(.delete(completion: completion)) }
            return nil
        }
        if let error { completion(.failure(error)) }
    }

    /// Finds `key`, reads and checks its header (magic, key, flag, size, cookie), and returns where
    /// its data is, for `sendfile`. Holding the result keeps the block file open.
    public func locate(key: Int64, cookie: Int32) throws(StorageError) -> NeedleExtent {
        try fetch(key: key, cookie: cookie, whole: false).extent
    }

    /// Reads `key` whole with one `pread` and returns its data after checking header, footer, CRC
    /// and padding: the small-needle path.
    public func read(key: Int64, cookie: Int32) throws(StorageError) -> [UInt8] {
        try readVerified(key: key, cookie: cookie)
    }

    /// The verifying read; a nil `cookie` skips the cookie check (health probes).
    func readVerified(key: Int64, cookie: Int32?) throws(StorageError) -> [UInt8] {
        let (extent, bytes) = try fetch(key: key, cookie: cookie, whole: true)
        let h = extent.header
        let offset = extent.needleOffset
        try bytes.withUnsafeBytes { b in
            Result { () throws(StorageError) in try NeedleFormat.verifyBody(b, at: 0, header: h, fileOffset: offset) }
        }.get()
        return Array(bytes[NeedleFormat.headerSize..<(NeedleFormat.headerSize + h.dataSize)])
    }

    /// Map lookup under the state lock, then one `pread` (header only, or the whole needle)
    /// without any lock, then the header checks.
    private func fetch(key: Int64, cookie: Int32?, whole: Bool) throws(StorageError) -> (extent: NeedleExtent, bytes: [UInt8]) {
        let span = try lookUp(key: key)
        let size = whole ? span.totalSize : NeedleFormat.headerSize
        var bytes = [UInt8](repeating: 0, count: size)
        let n = try bytes.withUnsafeMutableBytes { b in
            Result { () throws(StorageError) -> Int in try span.block.file.read(into: b, at: span.offset) }
        }.get()
        guard n == size else { throw .truncated(offset: span.offset) }
        let extent = try bytes.withUnsafeBytes { b in
            Result { () throws(StorageError) -> NeedleExtent in try check(header: b, of: span, key: key, cookie: cookie) }
        }.get()
        return (extent, bytes)
    }

    /// Counts and sizes for `/info` and metrics.
    public var info: VolumeInfo {
        shared.withLock { s in
            VolumeInfo(id: id, needleCount: s.map.count, liveCount: s.map.liveCount, durableEnd: s.durableEnd,
                       failed: s.failed, closed: s.closed, mapResidentBytes: s.map.residentBytes,
                       syncs: syncCount.load(ordering: .relaxed), syncedOperations: syncedOperations.load(ordering: .relaxed))
        }
    }

    /// Stops accepting work, completes what is queued, writes and syncs the index hint, and stops
    /// the flusher. Reads still holding an extent keep the block descriptor until they drop it.
    public func close() {
        let wasClosed = shared.withLock { s in
            defer { s.closed = true }
            return s.closed
        }
        if wasClosed { return }
        stopAppendThread()
        // Waits for an append that already passed its closed check. Not `withAppendLock`: a
        // compaction may be sealed inside the store's admin lock, and our caller may be waiting
        // for that compaction to end.
        appender.withLock { _ in }
        queue.update(wake: .all) { $0.stopping = true }
        let lanes = max(1, settings.syncLanes)
        finished.wait(until: { $0 == lanes }) { _ in }
        finishFlushing()
        index.withLock { $0.file.close() }
        // Taken out under the lock: a compaction swapping files now closes its new ones instead.
        shared.withLock { s in
            defer { s.syncFiles = [] }
            return s.syncFiles
        }.forEach { $0.close() }
    }
}

extension Volume {
    /// Runs `body` under the append lock once no compaction has the volume sealed.
    func withAppendLock<R>(_ body: (inout Appender) -> R) -> R {
        while true {
            let done: R? = appender.withLock { a in
                sealed.update(wake: .none) { $0 } ? nil : body(&a)
            }
            if let done { return done }
            sealed.wait(until: { !$0 }) { _ in }
        }
    }
}

/// A snapshot of a volume's counters.
public struct VolumeInfo: Sendable, Equatable {
    /// The volume id.
    public var id: VolumeID
    /// Needles in the map, deleted included.
    public var needleCount: Int
    /// Needles not deleted.
    public var liveCount: Int
    /// Bytes of the block known durable (the end of the last synced append).
    public var durableEnd: Int64
    /// Whether an I/O failure stopped writes.
    public var failed: Bool
    /// Whether the volume was closed.
    public var closed: Bool
    /// Resident bytes of the needle map.
    public var mapResidentBytes: Int
    /// Group commits (`fdatasync` calls) run by the flusher.
    public var syncs: Int
    /// Appends and deletes those syncs acknowledged (divide by `syncs` for the batch size).
    public var syncedOperations: Int
}
