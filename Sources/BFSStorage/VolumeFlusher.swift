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

/// The group-commit flusher: one thread per volume, never a loop thread.
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
    /// once any sync has failed every later batch fails too, so a success can never hide an
    /// earlier writeback error.
    func startFlusher() {
        for _ in 0..<max(1, settings.syncLanes) {
            var thread = pthread_t()
            let arg = Unmanaged.passRetained(self).toOpaque()
            let rc = pthread_create(&thread, nil, { raw in
                let volume = Unmanaged<Volume>.fromOpaque(raw!).takeRetainedValue()
                volume.runLane()
                return nil
            }, arg)
            precondition(rc == 0, "pthread_create failed: \(rc)")
            pthread_detach(thread)
        }
    }

    func runLane() {
        while true {
            let taken: (Int, BlockHandle, Int)? = queue.wait(until: { !$0.jobs.isEmpty || $0.stopping }) { q in
                guard !q.jobs.isEmpty else { return nil }
                let number = q.nextBatch
                let size = q.jobs.count
                q.nextBatch += 1
                q.inFlight.append(InFlightBatch(number: number, jobs: q.jobs, outcome: nil))
                q.jobs.removeAll()
                // The batch's writes went to the block current now (a compaction swap drains the
                // queue first), so sync that one.
                return (number, shared.withLock { $0.block }, size)
            }
            guard let (number, block, size) = taken else { break }
            var failure: StorageError? = nil
            if settings.durableWrites {
                do {
                    try block.file.sync()
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
            for batch in ready {
                let failed = shared.withLock { $0.failed }
                let failure: StorageError? = batch.outcome! ?? (failed && settings.durableWrites ? .volumeFailed : nil)
                if failure == nil { syncedOperations.add(batch.jobs.count, ordering: .relaxed) }
                flagsUnsynced.withLock { $0 = commit(batch.jobs, failure: failure) || $0 }
            }
            let idle = queue.update(wake: .none) { $0.jobs.isEmpty && $0.inFlight.isEmpty }
            if idle { index.withLock { try? $0.flush() } }
        }
    }

    /// After the lanes stopped: writes and syncs the index hint, syncs what is left unsynced.
    func finishFlushing() {
        index.withLock { w in
            try? w.flush()
            try? w.file.sync()
        }
        let block = shared.withLock { $0.block }
        if flagsUnsynced.withLock({ $0 }) || !settings.durableWrites { try? block.file.sync() }
    }

    /// Publishes the needles of a synced batch and completes its jobs (with `failure` if set).
    /// Returns whether it left overwrite flags unsynced (a later sync, or close, covers them; they
    /// only save compaction a lookup, since recovery lets the later needle of a key win anyway).
    func commit(_ jobs: [CommitJob], failure: StorageError?) -> Bool {
        let block = shared.withLock { $0.block }
        var flagged = false
        if failure == nil {
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
        }
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
        return flagged
    }
}
