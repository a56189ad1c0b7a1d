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
            for item in taken { append(item.batch, completion: item.completion) }
            taken.removeAll(keepingCapacity: true)
        }
    }
}
