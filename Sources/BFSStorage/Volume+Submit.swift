#if canImport(Glibc)
import Glibc
#endif

/// Appends a loop thread handed to the volume, waiting for its append thread.
struct AppendInbox {
    /// One submitted append.
    struct Item {
        var batch: NeedleBatch
        var completion: @Sendable (Result<[NeedleLocation], StorageError>) -> Void
    }

    var items: [Item] = []
    /// Whether the append thread was started (it starts with the first submission).
    var started = false
    /// Set by `close()`: the thread fails what is left (the volume is closed) and exits.
    var stopping = false
}

/// The append thread: a loop thread hands an encoded upload to the volume without waiting and
/// without a worker-pool hop; the thread writes it (`append(_ batch:)`, under the append lock,
/// which a 10 MiB write or a compaction's seal may hold for a while) and queues it for the
/// flusher lanes, whose group-committed `fdatasync` completes it. Everything submitted while the
/// thread was writing is taken in one wake-up.
extension Volume {
    /// Most appends waiting in the inbox; `submit` refuses more (the store answers 503), as a
    /// deeper backlog would only add latency.
    public static let submitQueueLimit = 512

    /// Queues `batch` for the append thread without blocking (callable on a loop thread).
    /// Returns false, without calling `completion`, when `submitQueueLimit` appends are already
    /// waiting. Otherwise `completion` runs once, as for `append(_ batch:completion:)`: on a
    /// flusher lane after the covering `fdatasync`, or with the error on the append thread (or on
    /// the calling thread, `.volumeClosed`, after `close()`).
    public func submit(_ batch: NeedleBatch,
                       completion: @escaping @Sendable (Result<[NeedleLocation], StorageError>) -> Void) -> Bool {
        enum Outcome { case queued, start, full, closed }
        let outcome: Outcome = inbox.update { s in
            if s.stopping { return .closed }
            if s.items.count >= Volume.submitQueueLimit { return .full }
            s.items.append(AppendInbox.Item(batch: batch, completion: completion))
            if s.started { return .queued }
            s.started = true
            return .start
        }
        switch outcome {
        case .queued: return true
        case .full: return false
        case .closed:
            completion(.failure(.volumeClosed))
            return true
        case .start:
            startAppendThread()
            return true
        }
    }

    /// Asks the append thread to exit once it has drained its inbox (appends fail: closed).
    func stopAppendThread() {
        inbox.update(wake: .all) { $0.stopping = true }
    }

    private func startAppendThread() {
        var thread = pthread_t()
        let arg = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&thread, nil, { raw in
            let volume = Unmanaged<Volume>.fromOpaque(raw!).takeRetainedValue()
            volume.runAppendThread()
            return nil
        }, arg)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        pthread_detach(thread)
    }

    private func runAppendThread() {
        var taken: [AppendInbox.Item] = []
        while true {
            let stop: Bool = inbox.wait(until: { !$0.items.isEmpty || $0.stopping }) { s in
                if s.items.isEmpty { return true }
                swap(&taken, &s.items)
                return false
            }
            if stop { return }
            if taken.count == 1 {
                append(taken[0].batch, completion: taken[0].completion)
            } else {
                appendTogether(taken)
            }
            taken.removeAll(keepingCapacity: true)
        }
    }

    /// Appends several submitted uploads under one append lock with one gathered `pwritev`, and
    /// queues them for the flusher in one update. Each stays its own job (its own completion);
    /// a failed write fails all of them, as none was acknowledged. One that would not fit in
    /// the volume fails `.volumeFull` alone.
    func appendTogether(_ items: [AppendInbox.Item]) {
        var failures: [(AppendInbox.Item, StorageError)] = []
        var valid: [AppendInbox.Item] = []
        valid.reserveCapacity(items.count)
        for item in items {
            if item.batch.count == 0 || !item.batch.isComplete {
                failures.append((item, .badBatch))
            } else if let big = item.batch.entries.first(where: { $0.dataSize > settings.needleMaxSize }) {
                failures.append((item, .needleTooLarge(size: big.dataSize)))
            } else {
                valid.append(item)
            }
        }
        withAppendLock { (a: inout Appender) in
            let (closed, failed, block) = shared.withLock { ($0.closed, $0.failed, $0.block) }
            if closed || failed {
                for item in valid { failures.append((item, closed ? .volumeClosed : .volumeFailed)) }
                return
            }
            let start = a.end
            var end = start
            var included: [(item: AppendInbox.Item, at: Int64)] = []
            included.reserveCapacity(valid.count)
            for item in valid {
                let size = Int64(item.batch.bytes.count)
                // The last needle must still start at an addressable unit (u32 offsets).
                if (end + size) / 8 - 1 <= Int64(SuperBlockFormat.maxOffsetUnits) {
                    included.append((item, end))
                    end += size
                } else {
                    failures.append((item, .volumeFull))
                }
            }
            guard !included.isEmpty else { return }
            var buffers: [UnsafeRawBufferPointer] = []
            buffers.reserveCapacity(included.count)
            let written: StorageError? = Volume.withBytes(of: included.map(\.item.batch)[...], &buffers) { all in
                do throws(StorageError) {
                    try block.file.write(gathering: all, at: start)
                    return nil
                } catch {
                    return error
                }
            }
            if let written {
                for (item, _) in included { failures.append((item, written)) }
                return
            }
            var jobs: [CommitJob] = []
            jobs.reserveCapacity(included.count)
            for (item, at) in included {
                var records: [IndexRecord] = []
                records.reserveCapacity(item.batch.count)
                for e in item.batch.entries {
                    records.append(IndexRecord(key: e.key, offsetUnits: UInt32((at + Int64(e.start)) / 8),
                                               totalSize: UInt32(e.totalSize)))
                }
                jobs.append(.append(records: records, end: at + Int64(item.batch.bytes.count), completion: item.completion))
            }
            a.end = end
            queue.update { $0.jobs.append(contentsOf: jobs) }
        }
        for (item, error) in failures { item.completion(.failure(error)) }
    }

    /// Runs `body` with the bytes of every batch in `batches` pinned, in order.
    private static func withBytes<R>(of batches: ArraySlice<NeedleBatch>, _ buffers: inout [UnsafeRawBufferPointer],
                                     _ body: ([UnsafeRawBufferPointer]) -> R) -> R {
        guard let first = batches.first else { return body(buffers) }
        return first.bytes.withUnsafeBytes { b in
            buffers.append(b)
            return withBytes(of: batches.dropFirst(), &buffers, body)
        }
    }
}
