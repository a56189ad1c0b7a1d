#if canImport(Glibc)
import Glibc
#endif

/// Work handed from appends and deletes to the flusher.
enum CommitJob {
    case append(records: [IndexRecord], end: Int64,
                completion: @Sendable (Result<[NeedleLocation], StorageError>) -> Void)
    case delete(completion: @Sendable (Result<Void, StorageError>) -> Void)
    /// Completes after every job queued before it (compaction drains the queue with it).
    case barrier(completion: @Sendable (Result<Void, StorageError>) -> Void)
}

/// A batch taken by a sync lane, waiting for its own `fdatasync` to return.
struct InFlightBatch {
    var number: Int
    var jobs: [CommitJob]
    /// nil while the sync runs; then `.some(nil)` on success or `.some(error)`.
    var outcome: StorageError??
}

/// The flusher's inbox and the batches being synced, in order.
struct CommitQueue {
    var jobs: [CommitJob] = []
    var stopping = false
    var nextBatch = 0
    var inFlight: [InFlightBatch] = []
}

/// What a new lane thread needs: its volume (retained until the lane exits) and its number.
final class LaneStart: Sendable {
    let volume: Volume
    let lane: Int

    init(volume: Volume, lane: Int) {
        self.volume = volume
        self.lane = lane
    }
}

/// The group-commit flusher: `settings.syncLanes` threads per volume, never a loop thread.
extension Volume {
    /// Writes `01` at the flag offset of the needle starting at `units`.
    static func writeDeletedFlag(_ file: StorageFile, needleAtUnits units: UInt32) throws(StorageError) {
        let flag: [UInt8] = [NeedleFormat.flagDeleted]
        try flag.withUnsafeBytes { b in
            Result { () throws(StorageError) in
                try file.write(b, at: Int64(units) * 8 + Int64(NeedleFormat.flagOffset))
            }
        }.get()
    }

    /// Starts `settings.syncLanes` flusher threads.
    ///
    /// Several lanes let `fdatasync` calls overlap: on ext4 concurrent syncs of one file share
    /// journal commits, so overlapping them multiplies durable appends per second (measured in
    /// Bench/storage). Each lane takes everything queued as one batch and syncs it; batches are
    /// published strictly in the order they were taken, each only once its own sync returned, and
    /// once any sync has failed every later batch fails too.
    ///
    /// Each lane syncs through a descriptor of its own. Linux records a writeback error on the
    /// inode and reports it once per open file description (errseq): an `fdatasync` returns it if
    /// it happened since that description last reported one, whichever call's writeback hit it.
    /// Had the lanes shared one description, lane B's sync could write back lane A's pages, fail,
    /// and consume the error; A's sync would then find nothing dirty and nothing to report and
    /// acknowledge a batch that never reached the disk (B's failure is published only when B
    /// returns, possibly after A published). A lane's descriptor is opened before any write it
    /// will cover (at open, or by compaction before the first append to the new block) and
    /// reports each error of the block since then; it reports one at most once, and the first
    /// one stops the volume. So a batch is acknowledged only if no writeback of the block failed
    /// between its lane's descriptor being opened and its sync returning: its pages were written
    /// back by that sync or, without error, before it.
    func startFlusher() {
        for lane in 0..<max(1, settings.syncLanes) {
            var thread = pthread_t()
            let arg = Unmanaged.passRetained(LaneStart(volume: self, lane: lane)).toOpaque()
            let rc = pthread_create(&thread, nil, { raw in
                let start = Unmanaged<LaneStart>.fromOpaque(raw!).takeRetainedValue()
                start.volume.runLane(start.lane)
                return nil
            }, arg)
            precondition(rc == 0, "pthread_create failed: \(rc)")
            pthread_detach(thread)
        }
    }

    /// Opens the per-lane sync descriptors of the block at `path`.
    static func openSyncFiles(_ path: String, lanes: Int, fileSystem: FileSystem) throws(StorageError) -> [StorageFile] {
        var files: [StorageFile] = []
        for _ in 0..<max(1, lanes) {
            do { files.append(try fileSystem.open(path, create: false)) } catch {
                files.forEach { $0.close() }
                throw error
            }
        }
        return files
    }

    func runLane(_ lane: Int) {
        while true {
            let taken: (Int, StorageFile, Int)? = queue.wait(until: { !$0.jobs.isEmpty || $0.stopping }) { q in
                guard !q.jobs.isEmpty else { return nil }
                let number = q.nextBatch
                let size = q.jobs.count
                q.nextBatch += 1
                q.inFlight.append(InFlightBatch(number: number, jobs: q.jobs, outcome: nil))
                q.jobs.removeAll()
                // The batch's writes went to the block current now (a compaction swap drains the
                // queue first), so sync that one.
                return (number, shared.withLock { $0.syncFiles[lane] }, size)
            }
            guard let (number, file, size) = taken else { break }
            var failure: StorageError? = nil
            if settings.durableWrites {
                do {
                    try file.sync()
                    syncCount.add(1, ordering: .relaxed)
                    settings.syncObserver?.didSync(size)
                } catch {
                    // A failed fdatasync leaves the page cache state unknowable: stop the volume.
                    failure = error
                    shared.withLock { $0.failed = true }
                }
            }
            publishReady(finished: number, outcome: failure)
        }
        finished.update(wake: .all) { $0 += 1 }
    }

    /// Records the outcome of batch `number`, then publishes, in order, every batch at the front
    /// whose own sync has returned.
    func publishReady(finished number: Int, outcome: StorageError?) {
        publishLock.withLock { _ in
            let ready: [InFlightBatch] = queue.update(wake: .none) { q in
                if let i = q.inFlight.firstIndex(where: { $0.number == number }) { q.inFlight[i].outcome = .some(outcome) }
                let n = q.inFlight.prefix { $0.outcome != nil }.count
                defer { q.inFlight.removeFirst(n) }
                return Array(q.inFlight.prefix(n))
            }
            var outcomes: [StorageError?] = []
            for batch in ready {
                let failed = shared.withLock { $0.failed }
                let failure: StorageError? = batch.outcome! ?? (failed && settings.durableWrites ? .volumeFailed : nil)
                if failure == nil {
                    syncedOperations.add(batch.jobs.count, ordering: .relaxed)
                    if publish(batch.jobs) { flagsUnsynced.withLock { $0 = true } }
                }
                outcomes.append(failure)
            }
            // Idle: write the buffered index hint now, before acknowledging, so whoever acts on
            // the acknowledgement (a snapshot for a peer) finds the needle in the index.
            let idle = queue.update(wake: .none) { $0.jobs.isEmpty && $0.inFlight.isEmpty }
            if idle { index.withLock { try? $0.flush() } }
            for (batch, failure) in zip(ready, outcomes) { complete(batch.jobs, failure: failure) }
        }
    }

    /// After the lanes stopped: writes and syncs the index hint, syncs what is left unsynced.
    func finishFlushing() {
        index.withLock { w in
            try? w.flush()
            try? w.file.sync()
        }
        let file = shared.withLock { $0.syncFiles[0] }
        if flagsUnsynced.withLock({ $0 }) || !settings.durableWrites { try? file.sync() }
    }

    /// Publishes the needles of a synced batch: map entries, overwrite flags, index records.
    /// Returns whether it left overwrite flags unsynced (a later sync, or close, covers them; they
    /// only save compaction a lookup, since recovery lets the later needle of a key win anyway).
    func publish(_ jobs: [CommitJob]) -> Bool {
        let block = shared.withLock { $0.block }
        var flagged = false
        var overwritten: [UInt32] = []
        var records: [IndexRecord] = []
        shared.withLock { s in
            for case .append(let recs, let end, _) in jobs {
                for r in recs {
                    let loc = NeedleLocation(offsetUnits: r.offsetUnits, totalSize: r.totalSize)
                    if let prev = s.map.set(r.key, loc), !prev.isDeleted, prev.offsetUnits != r.offsetUnits {
                        overwritten.append(prev.offsetUnits)
                    }
                }
                records.append(contentsOf: recs)
                s.durableEnd = max(s.durableEnd, end)
            }
        }
        for units in overwritten {
            if (try? Volume.writeDeletedFlag(block.file, needleAtUnits: units)) != nil { flagged = true }
        }
        if !records.isEmpty { index.withLock { $0.add(records) } }
        return flagged
    }

    /// Completes a batch's jobs (with `failure` if set).
    func complete(_ jobs: [CommitJob], failure: StorageError?) {
        for job in jobs {
            switch job {
            case .append(let recs, _, let completion):
                if let failure { completion(.failure(failure)) } else {
                    completion(.success(recs.map {
                        NeedleLocation(offsetUnits: $0.offsetUnits, totalSize: $0.totalSize)
                    }))
                }
            case .delete(let completion), .barrier(let completion):
                if let failure { completion(.failure(failure)) } else { completion(.success(())) }
            }
        }
    }
}
