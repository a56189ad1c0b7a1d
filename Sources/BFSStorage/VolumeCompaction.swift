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
/// go on, then swap under the append lock.
///
/// Unlike bfs (reference §6 bugs 8–10) the set of survivors is decided by the needle map at the
/// swap, not by on-disk flags nor a replay log: a delete marks the map before it is acknowledged,
/// so a delete issued before or during the copy can never be copied back to life; copies of
/// needles deleted or overwritten after they were copied are flagged deleted in the new block
/// before it is synced, so a restart cannot resurrect them either; and nothing is replayed, so
/// nothing can fail with "not found". The volume list is rewritten (the commit point) before the
/// swap and before the append lock is released, so no write is acknowledged on files a restart
/// would not open. Crash windows, by `CompactionStep`: up to `newFilesSynced` the old files are
/// authoritative (the new ones are orphans); from `listRewritten` on the new files are, and they
/// hold every acknowledged write and delete.
extension Volume {
    /// Progress of the running compaction, nil when none runs.
    public var compaction: CompactionProgress? {
        guard shared.withLock({ $0.compacting }) else { return nil }
        return CompactionProgress(bytesDone: compactionProgress.load(ordering: .relaxed),
                                  bytesTotal: compactionTotal.load(ordering: .relaxed))
    }

    /// Compacts into new files `newBlockPath`/`newIndexPath` (they must not exist). `commit` runs
    /// under the append lock once the new files are durable and must make them the volume's files
    /// of record (rewrite the volume list); `hook` sees each step (tests crash there).
    /// Blocks for the whole copy: run it on a dedicated thread. Completions of appends must not
    /// call back into this volume synchronously (the final step drains the flusher under the lock).
    @discardableResult
    public func compact(toBlock newBlockPath: String, index newIndexPath: String,
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
                try? fileSystem.remove(newBlockPath)
                try? fileSystem.remove(newIndexPath)
            }
        }
        let bytesBefore = shared.withLock { $0.durableEnd }
        // Pass 1 and a catch-up pass without the append lock: reads and writes go on.
        try catchUp(&copier)
        try catchUp(&copier)
        try hook(.copied)
        let result = try appender.withLock { (a: inout Appender) throws(StorageError) -> CompactionResult in
            try drainFlusher()
            try catchUp(&copier)
            var live: [IndexRecord] = []
            let moves = copier.moved
            shared.withLock { s in
                s.map.forEach { key, loc in
                    guard !loc.isDeleted, let moved = moves[loc.offsetUnits] else { return }
                    live.append(IndexRecord(key: key, offsetUnits: moved.offsetUnits, totalSize: moved.totalSize))
                }
            }
            live.sort { $0.offsetUnits < $1.offsetUnits }
            var map = NeedleMap(expectedCount: live.count)
            for r in live { map.set(r.key, NeedleLocation(offsetUnits: r.offsetUnits, totalSize: r.totalSize)) }
            try copier.finish(keeping: live)
            try hook(.newFilesSynced)
            try commit(newBlockPath, newIndexPath)
            // Committed: the list names the new files, so the swap must happen whatever follows.
            swapped = true
            let newHandle = BlockHandle(file: copier.block)
            let oldIndex = index.withLock { w in
                let old = w
                w = IndexWriter(file: copier.index, end: Int64(live.count * IndexRecord.size), batch: settings.indexBatchRecords)
                return old
            }
            oldIndex.file.close()
            shared.withLock { s in
                swap(&s.map, &map)
                s.block = newHandle
                s.blockPath = newBlockPath
                s.indexPath = newIndexPath
                s.durableEnd = copier.end
            }
            a.end = copier.end
            try hook(.listRewritten)
            return CompactionResult(needlesCopied: live.count, bytesBefore: bytesBefore, bytesAfter: copier.end,
                                    damagedSkipped: copier.damaged)
        }
        try hook(.swapped)
        return result
    }

    /// Copies every live needle the map points at that has not been copied yet.
    private func catchUp(_ copier: inout NeedleCopier) throws(StorageError) {
        var pending: [(Int64, NeedleLocation)] = []
        let block: BlockHandle = shared.withLock { s in
            s.map.forEach { key, loc in
                if !loc.isDeleted && copier.moved[loc.offsetUnits] == nil { pending.append((key, loc)) }
            }
            return s.block
        }
        pending.sort { $0.1.offsetUnits < $1.1.offsetUnits }
        compactionTotal.add(pending.reduce(0) { $0 + Int64($1.1.totalSize) }, ordering: .relaxed)
        for (key, loc) in pending {
            try copier.copy(key: key, from: loc, in: block.file)
            compactionProgress.add(Int64(loc.totalSize), ordering: .relaxed)
        }
        try copier.flushBuffer()
    }

    /// Waits until the flusher has published every append queued so far.
    private func drainFlusher() throws(StorageError) {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<StorageError?>(nil)
        queue.update { $0.jobs.append(.barrier { result in
            if case .failure(let e) = result { outcome.withLock { $0 = e } }
            done.signal()
        }) }
        done.wait()
        if let e = outcome.withLock({ $0 }) { throw e }
    }
}
