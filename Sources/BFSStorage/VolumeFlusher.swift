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

/// The flusher's inbox.
struct CommitQueue {
    var jobs: [CommitJob] = []
    var stopping = false
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

    func startFlusher() {
        var thread = pthread_t()
        let arg = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&thread, nil, { raw in
            let volume = Unmanaged<Volume>.fromOpaque(raw!).takeRetainedValue()
            volume.runFlusher()
            return nil
        }, arg)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        pthread_detach(thread)
    }

    func runFlusher() {
        var flagsUnsynced = false
        while true {
            let (jobs, stopping) = queue.wait(until: { !$0.jobs.isEmpty || $0.stopping }) { q in
                defer { q.jobs.removeAll() }
                return (q.jobs, q.stopping)
            }
            if jobs.isEmpty && stopping { break }
            flagsUnsynced = commit(jobs) || (flagsUnsynced && !settings.durableWrites)
            let idle = queue.update { $0.jobs.isEmpty }
            if idle { index.withLock { try? $0.flush() } }
        }
        index.withLock { w in
            try? w.flush()
            try? w.file.sync()
        }
        let block = shared.withLock { $0.block }
        if flagsUnsynced || !settings.durableWrites { try? block.file.sync() }
        finished.update { $0 = true }
    }

    /// Syncs once for all `jobs`, publishes their needles, completes them. Returns whether it left
    /// overwrite flags unsynced (the next sync, or close, covers them; they only save compaction a
    /// lookup, since recovery lets the later needle of a key win anyway).
    func commit(_ jobs: [CommitJob]) -> Bool {
        let (block, alreadyFailed) = shared.withLock { ($0.block, $0.failed) }
        var failure: StorageError? = alreadyFailed ? .volumeFailed : nil
        if failure == nil && settings.durableWrites {
            do {
                try block.file.sync()
                syncCount.add(1, ordering: .relaxed)
                syncedOperations.add(jobs.count, ordering: .relaxed)
            } catch {
                // A failed fdatasync leaves the page cache state unknowable: stop the volume.
                failure = error
                shared.withLock { $0.failed = true }
            }
        }
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
