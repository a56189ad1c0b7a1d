import BFSCore
import BFSHTTP
import BFSLoop
import Synchronization

/// Carries upload answers from the flusher lanes back to one loop: a lane queues `{"ret":N}`
/// for each upload of a synced batch, and only the first answer queued while the loop is not
/// draining hands the loop a job, so a batch costs the loop one wake-up and no allocation per
/// upload (the job is built once; the queue's storage is reused).
final class UploadAnswers: @unchecked Sendable {
    /// One answer to send.
    struct Answer {
        var exchange: HTTPServerExchange
        var ret: Ret
        var endpoint: StoreMetrics.Endpoint
        /// When the request head arrived (`monotonicNanos`), for the latency metric.
        var start: UInt64
        /// For a stored upload: the loop's shares of the volume's and the store's `/info`
        /// counters, and the data bytes and needles to count there (on the loop, the shards'
        /// only writer, just before the answer goes out).
        var counted: (entry: LoopVolumeCache.Entry, bytes: Int, count: Int)? = nil
    }

    private let loop: EventLoop
    private let metrics: StoreMetrics
    private let queue = Mutex<[Answer]>([])
    /// The drained answers; loop-confined, swapped with the queue so neither array reallocates.
    private var draining: [Answer] = []
    /// The job handed to the loop, made once.
    private var drainJob: (@Sendable () -> Void)?

    init(loop: EventLoop, metrics: StoreMetrics) {
        self.loop = loop
        self.metrics = metrics
        drainJob = { [weak self] in self?.drain() }
    }

    /// Queues `answer` (from any thread); it is sent on the loop.
    func add(_ answer: Answer) {
        let first = queue.withLock { q in
            q.append(answer)
            return q.count == 1
        }
        if first, let drainJob { loop.execute(drainJob) }
    }

    /// Sends every queued answer (loop thread).
    private func drain() {
        queue.withLock { swap(&$0, &draining) }
        for a in draining {
            if let (entry, bytes, count) = a.counted {
                let nanos = monotonicNanos() - a.start
                entry.storeStats.didWrite(count: count, bytes: bytes, nanos: nanos)
                entry.stats.didWrite(count: count, bytes: bytes, nanos: nanos)
            }
            APIReplies.json(a.exchange, ret: a.ret)
            metrics.record(a.endpoint, status: APIReplies.statusClass(a.ret), elapsedNanos: monotonicNanos() - a.start)
        }
        draining.removeAll(keepingCapacity: true)
    }
}
