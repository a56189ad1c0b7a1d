import BFSLoop
import Synchronization

/// What the upload path keeps per loop: the queue its answers come back through.
final class LoopUploads: Sendable {
    /// Upload answers coming back from the flusher lanes.
    let answers: UploadAnswers

    init(loop: EventLoop, metrics: StoreMetrics) {
        answers = UploadAnswers(loop: loop, metrics: metrics)
    }
}

/// One `LoopUploads` per loop, made on first use.
final class LoopUploadsTable: Sendable {
    private let table = Mutex<[ObjectIdentifier: LoopUploads]>([:])

    /// The upload state of `loop` (call on that loop's thread).
    func of(_ loop: EventLoop, metrics: StoreMetrics) -> LoopUploads {
        table.withLock { t in
            if let w = t[ObjectIdentifier(loop)] { return w }
            let w = LoopUploads(loop: loop, metrics: metrics)
            t[ObjectIdentifier(loop)] = w
            return w
        }
    }
}
