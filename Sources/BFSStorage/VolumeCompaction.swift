import Dispatch
import Synchronization

/// The steps of an online compaction, in order; tests crash the process model at each one.
public enum CompactionStep: Sendable, CaseIterable {
    /// Live needles copied into the new block (not yet synced).
    case copied
    /// New block and index synced; the volume list still names the old files.
    case newFilesSynced
    /// The volume list names the new files (the commit point).
    case listRewritten
    /// Reads and writes use the new files.
    case swapped
    /// The old files are unlinked (their space returns when the last read lease is released).
    case oldFilesRemoved
}

/// How far a running compaction is.
public struct CompactionProgress: Sendable, Equatable {
    /// Bytes of live needles copied so far.
    public var bytesDone: Int64
    /// Bytes of live needles to copy (grows if appends arrive meanwhile).
    public var bytesTotal: Int64
}

/// What a finished compaction did.
public struct CompactionResult: Sendable, Equatable {
    /// Needles copied.
    public var needlesCopied: Int
    /// Block size before and after.
    public var bytesBefore: Int64, bytesAfter: Int64
    /// Needles the map called live but whose bytes failed verification (not copied).
    public var damagedSkipped: Int
}

/// Online compaction: copy what the needle map calls live into fresh files while reads and writes
/// go on, then seal, commit and swap.
///
/// Unlike bfs (reference §6 bugs 8–10) the set of survivors is decided by the needle map at the
/// swap, not by on-disk flags nor a replay log: a delete marks the map before it is acknowledged,
/// so a delete issued before or during the copy can never be copied back to life; copies of
/// needles deleted or overwritten after they were copied are flagged deleted in the new block
/// before it is synced, so a restart cannot resurrect them either; and nothing is replayed, so
/// nothing can fail with "not found".
///
/// Locking: the bulk copy and its `fdatasync` run without the append lock. The append lock is
/// then held only to drain the flusher, copy what arrived meanwhile, and sync that small delta.
/// All of that, the seal, `commit` and the swap run inside `commitLock` (the store's admin lock,
/// taken before the append lock): a compaction waiting for that lock (held by a slow
/// `addFreeVolumes`, say) has not sealed yet, so uploads to its volume go on meanwhile. The
/// volume is sealed (appends and deletes wait) and the append lock released before `commit`;
/// the swap retakes it.
/// The volume list is rewritten (the commit point) while sealed, so no write is acknowledged on
/// files a restart would not open. Crash windows, by `CompactionStep`: up to `newFilesSynced` the
/// old files are authoritative (the new ones are orphans); from `listRewritten` on the new files
/// are, and they hold every acknowledged write and delete. A close before the commit ends the
/// compaction with `volumeClosed` (new files removed); a close during the commit lets it finish
/// on disk, and the closed volume then names the new files.
extension Volume {
    /// Progress of the running compaction, nil when none runs.
    public var compaction: CompactionProgress? {
        guard shared.withLock({ $0.compacting }) else { return nil }
        return CompactionProgress(bytesDone: compactionProgress.load(ordering: .relaxed),
                                  bytesTotal: compactionTotal.load(ordering: .relaxed))
    }

    /// Compacts into new files `newBlockPath`/`newIndexPath` (they must not exist). `commit` runs
    /// once the new files are durable, with the volume sealed but no volume lock held, and must
    /// make them the volume's files of record (rewrite the volume list); `hook` sees each step
    /// (tests crash there). `commitLock` runs its body holding the lock `commit` needs (the
    /// store's admin lock): the seal, commit and swap run inside it, so the volume is never
    /// sealed while the compaction waits for that lock. Blocks for the whole copy: run it on a
    /// dedicated thread.
    @discardableResult
    public func compact(toBlock newBlockPath: String, index newIndexPath: String,
                        commitLock: (() throws(StorageError) -> Void) throws(StorageError) -> Void = { body throws(StorageError) in try body() },
                        commit: (_ block: String, _ index: String) throws(StorageError) -> Void = { _, _ in },
                        hook: (CompactionStep) throws(StorageError) -> Void = { _ in }) throws(StorageError) -> CompactionResult {
        try shared.withLock { (s: inout Shared) throws(StorageError) in
            if s.closed { throw .volumeClosed }
            if s.failed { throw .volumeFailed }
            if s.compacting { throw .compacting }
            s.compacting = true
        }
        compactionProgress.store(0, ordering: .relaxed)
        compactionTotal.store(0, ordering: .relaxed)
        defer { shared.withLock { $0.compacting = false } }
        try VolumeFiles.create(blockPath: newBlockPath, indexPath: newIndexPath, fileSystem: fileSystem,
                               preallocation: settings.blockPreallocation)
        var copier: NeedleCopier
        var syncFiles: [StorageFile] = []
        do {
            copier = try NeedleCopier(block: fileSystem.open(newBlockPath, create: false),
                                      index: fileSystem.open(newIndexPath, create: false),
                                      maxDataSize: NeedleFormat.formatMaxDataSize)
        } catch {
            try? fileSystem.remove(newBlockPath)
            try? fileSystem.remove(newIndexPath)
            throw error
        }
        var swapped = false
        defer {
            if !swapped {
                copier.close()
                syncFiles.forEach { $0.close() }
                try? fileSystem.remove(newBlockPath)
                try? fileSystem.remove(newIndexPath)
            }
        }
        // The lanes' descriptors of the new block, opened before any append can reach it.
        syncFiles = try Volume.openSyncFiles(newBlockPath, lanes: settings.syncLanes, fileSystem: fileSystem)
        let bytesBefore = shared.withLock { $0.durableEnd }
        // Pass 1 and a catch-up pass without the append lock: reads and writes go on.
        try catchUp(&copier)
        try catchUp(&copier)
        try copier.block.sync()
        try hook(.copied)
        var live: [IndexRecord] = []
        // The commit lock is taken before the seal: a compaction that waits for it must not keep
        // appends and deletes waiting meanwhile. `commitLock` runs its body before it returns,
        // so `commit` and `hook` do not actually escape.
        try withoutActuallyEscaping(commit) { commit throws(StorageError) in
            try withoutActuallyEscaping(hook) { hook throws(StorageError) in
                try commitLock { () throws(StorageError) in
                    live = try sealForCommit(&copier)
                    defer { sealed.update(wake: .all) { $0 = false } }
                    try hook(.newFilesSynced)
                    if shared.withLock({ $0.closed }) { throw .volumeClosed }
                    try commit(newBlockPath, newIndexPath)
                    // Committed: the list names the new files, so the swap must happen whatever follows.
                    swapped = true
                    var map = NeedleMap(expectedCount: live.count)
                    for r in live { map.set(r.key, NeedleLocation(offsetUnits: r.offsetUnits, totalSize: r.totalSize)) }
                    appender.withLock { a in
                        installCompacted(map: &map, copier: copier, syncFiles: syncFiles, records: live.count)
                        a.end = copier.end
                    }
                    try hook(.listRewritten)
                    try hook(.swapped)
                }
            }
        }
        return CompactionResult(needlesCopied: live.count, bytesBefore: bytesBefore, bytesAfter: copier.end,
                                damagedSkipped: copier.damaged)
    }

    /// Under the append lock: drains the flusher, copies what arrived since the catch-up passes,
    /// writes the new index of the needles that stay live, syncs, and seals the volume. Returns
    /// those needles' records in block order.
    private func sealForCommit(_ copier: inout NeedleCopier) throws(StorageError) -> [IndexRecord] {
        try appender.withLock { _ throws(StorageError) -> [IndexRecord] in
            if shared.withLock({ $0.closed }) { throw .volumeClosed }
            try drainFlusher()
            try catchUp(&copier, exact: true)
            let moves = copier.moved
            var live = collectMap(exact: true, appendLockHeld: true) { key, loc -> IndexRecord? in
                guard !loc.isDeleted, let moved = moves[loc.offsetUnits] else { return nil }
                return IndexRecord(key: key, offsetUnits: moved.offsetUnits, totalSize: moved.totalSize)
            }
            live.sort { $0.offsetUnits < $1.offsetUnits }
            try copier.finish(keeping: live)
            sealed.update(wake: .none) { $0 = true }
            return live
        }
    }

    /// Makes the new files the volume's (under the append lock, with the flusher drained). On a
    /// volume that closed meanwhile only the paths change: `close` already released the old
    /// files, and the new ones are closed here.
    private func installCompacted(map: inout NeedleMap, copier: NeedleCopier, syncFiles: [StorageFile], records: Int) {
        let (closed, oldSyncFiles): (Bool, [StorageFile]) = shared.withLock { s in
            s.blockPath = copier.block.path
            s.indexPath = copier.index.path
            // The old block is unlinked next; whoever drops it last must not pay for that.
            s.block.retire()
            if s.closed { return (true, []) }
            let old = s.syncFiles
            swap(&s.map, &map)
            s.block = BlockHandle(file: copier.block)
            s.syncFiles = syncFiles
            s.durableEnd = copier.end
            s.generation = UInt64.random(in: 1...UInt64.max)
            return (false, old)
        }
        if closed {
            copier.close()
            syncFiles.forEach { $0.close() }
            return
        }
        oldSyncFiles.forEach { $0.close() }
        let oldIndex = index.withLock { w in
            let old = w
            w = IndexWriter(file: copier.index, end: Int64(records * IndexRecord.size), batch: settings.indexBatchRecords)
            return old
        }
        oldIndex.file.close()
    }

    /// Copies every live needle the map points at that has not been copied (nor found damaged or
    /// flagged deleted on disk) yet. Only `exact` walks (under the append lock) are sure to see
    /// every entry.
    private func catchUp(_ copier: inout NeedleCopier, exact: Bool = false) throws(StorageError) {
        let done = copier.moved, skipped = copier.skipped
        var pending = collectMap(exact: exact, appendLockHeld: exact) { key, loc -> (Int64, NeedleLocation)? in
            loc.isDeleted || done[loc.offsetUnits] != nil || skipped.contains(loc.offsetUnits) ? nil : (key, loc)
        }
        let block = shared.withLock { $0.block }
        pending.sort { $0.1.offsetUnits < $1.1.offsetUnits }
        compactionTotal.add(pending.reduce(0) { $0 + Int64($1.1.totalSize) }, ordering: .relaxed)
        var previous: UInt32 = 0
        for (key, loc) in pending where loc.offsetUnits != previous {
            // A walk racing inserts may list an entry twice; copy it once.
            previous = loc.offsetUnits
            try copier.copy(key: key, from: loc, in: block.file)
            compactionProgress.add(Int64(loc.totalSize), ordering: .relaxed)
        }
        try copier.flushBuffer()
    }

    /// Waits until the flusher has published every append queued so far; fails if the volume is
    /// closing (its lanes are stopping and would never reach a new barrier).
    private func drainFlusher() throws(StorageError) {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<StorageError?>(nil)
        let queued = queue.update { q in
            if q.stopping { return false }
            q.jobs.append(.barrier { result in
                if case .failure(let e) = result { outcome.withLock { $0 = e } }
                done.signal()
            })
            return true
        }
        guard queued else { throw .volumeClosed }
        done.wait()
        if let e = outcome.withLock({ $0 }) { throw e }
    }
}
