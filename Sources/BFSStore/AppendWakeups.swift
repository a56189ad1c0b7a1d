import BFSLoop
import BFSStorage
import Synchronization

/// Wakes the append threads of the volumes a loop submitted uploads to, once per loop iteration
/// instead of once per upload.
///
/// An upload is handed to its volume with `Volume.submit(_:wakeLater:)`; the volume is noted here
/// and a zero-delay timer is armed. libuv runs due timers at the start of the next iteration,
/// after every read callback of the current one, so all the uploads parsed from one `epoll_wait`
/// reach the append thread with one wake-up (one `futex` call and one context switch) and go out
/// in one `pwritev`. The delay this adds is the rest of that iteration's work on the loop.
/// Loop-confined: only its loop's thread touches it.
final class AppendWakeups: @unchecked Sendable {
    private let loop: EventLoop
    private var timer: LoopTimer?
    private var pending: [Volume] = []

    init(loop: EventLoop) {
        self.loop = loop
    }

    /// Notes that `volume` has appends waiting for a wake-up; arms the timer. Loop thread only.
    func add(_ volume: Volume) {
        var noted = false
        for v in pending where v === volume { noted = true }
        if !noted { pending.append(volume) }
        if timer == nil { timer = loop.makeTimer { [weak self] in self?.flush() } }
        if timer?.isActive == false { timer?.start(after: 0) }
    }

    /// Wakes every noted append thread.
    private func flush() {
        for volume in pending { volume.wakeAppendThread() }
        pending.removeAll(keepingCapacity: true)
    }
}

/// What the upload path keeps per loop: the append-thread wake-ups and the answer queue.
final class LoopUploads: Sendable {
    /// Append threads to wake after this iteration's reads.
    let wakeups: AppendWakeups
    /// Upload answers coming back from the flusher lanes.
    let answers: UploadAnswers

    init(loop: EventLoop, metrics: StoreMetrics) {
        wakeups = AppendWakeups(loop: loop)
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
