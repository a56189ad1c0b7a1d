import Dispatch
import Glibc
import Synchronization

/// A small pool of named threads with a bounded queue, for one kind of blocking work.
///
/// `EventLoop.runBlocking` uses libuv's pool, which every loop of the process shares: a burst of
/// one kind of work (uploads waiting on an append lock, 16 MiB export reads) queues everything
/// else behind it. A process gives each kind its own executor, so they cannot starve each other,
/// and bounds each queue, so overload is refused at once (`EventLoop.run(on:)` reports
/// `UVError.executorSaturated`) instead of growing without limit.
///
/// Jobs run in submission order on `threadCount` threads named `name`. Dropping the last
/// reference lets the threads exit once the queue is empty; `shutdown()` also waits for them.
public final class BlockingExecutor: Sendable {
    /// The thread name (at most 15 bytes are shown by the system).
    public let name: String
    /// Threads running jobs.
    public let threadCount: Int
    /// Jobs that may wait for a thread; one more is refused.
    public let queueLimit: Int
    private let workers: ExecutorWorkers

    /// Starts `threads` threads serving a queue of at most `queueLimit` waiting jobs.
    public init(name: String, threads: Int, queueLimit: Int) {
        precondition(threads > 0 && queueLimit > 0, "an executor needs threads and queue room")
        self.name = name
        self.threadCount = threads
        self.queueLimit = queueLimit
        workers = ExecutorWorkers(limit: queueLimit)
        for _ in 0..<threads { workers.spawn(name: name) }
    }

    deinit {
        workers.close()
    }

    /// Queues `job` (from any thread); false when the queue is full or the executor shut down.
    @discardableResult
    public func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        workers.push(job)
    }

    /// Jobs waiting for a thread (from any thread; for metrics and tests).
    public var queuedCount: Int { workers.queuedCount }

    /// Refuses new jobs, lets the queued ones finish and waits for the threads to exit. Call
    /// from a thread that is not one of this executor's.
    public func shutdown() {
        workers.close()
        workers.join()
    }
}

/// The queue and threads behind a `BlockingExecutor`; the threads hold this, not the executor,
/// so dropping the executor can stop them.
///
/// `available` is signalled once per queued job and once per thread at close, so every wake-up
/// finds a job, or the closed and empty queue that tells its thread to exit. The threads are
/// detached; `join()` counts their exits on `exited`.
private final class ExecutorWorkers: Sendable {
    private struct Queue {
        var jobs: [@Sendable () -> Void] = []
        var head = 0
        var closed = false
        var joined = false
        var threads = 0
        var waiting: Int { jobs.count - head }
    }

    private let limit: Int
    private let queue = Mutex(Queue())
    private let available = DispatchSemaphore(value: 0)
    private let exited = DispatchSemaphore(value: 0)

    init(limit: Int) {
        self.limit = limit
    }

    var queuedCount: Int { queue.withLock { $0.waiting } }

    func spawn(name: String) {
        queue.withLock { $0.threads += 1 }
        let arg = Unmanaged.passRetained(ThreadStart(workers: self, name: name)).toOpaque()
        var thread: pthread_t = 0
        let rc = pthread_create(&thread, nil, { arg in
            let start = Unmanaged<ThreadStart>.fromOpaque(arg!).takeRetainedValue()
            nameThisThread(start.name)
            start.workers.serve()
            return nil
        }, arg)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        pthread_detach(thread)
    }

    func push(_ job: @escaping @Sendable () -> Void) -> Bool {
        let accepted = queue.withLock { q in
            guard !q.closed, q.waiting < limit else { return false }
            q.jobs.append(job)
            return true
        }
        if accepted { available.signal() }
        return accepted
    }

    func close() {
        let threads = queue.withLock { q -> Int in
            guard !q.closed else { return 0 }
            q.closed = true
            return q.threads
        }
        for _ in 0..<threads { available.signal() }
    }

    /// Waits (once) until every thread has drained the queue and exited.
    func join() {
        let threads = queue.withLock { q -> Int in
            defer { q.joined = true }
            return q.joined ? 0 : q.threads
        }
        for _ in 0..<threads { exited.wait() }
    }

    /// A thread's life: take the oldest job, run it, until closed and drained.
    private func serve() {
        while let job = next() { job() }
        exited.signal()
    }

    private func next() -> (@Sendable () -> Void)? {
        while true {
            available.wait()
            let taken = queue.withLock { q -> (job: (@Sendable () -> Void)?, exit: Bool) in
                guard q.waiting > 0 else { return (nil, q.closed) }
                let job = q.jobs[q.head]
                q.head += 1
                if q.head == q.jobs.count {
                    q.jobs.removeAll(keepingCapacity: true)
                    q.head = 0
                }
                return (job, false)
            }
            if let job = taken.job { return job }
            if taken.exit { return nil }
        }
    }
}

/// What a new executor thread needs.
private final class ThreadStart {
    let workers: ExecutorWorkers
    let name: String
    init(workers: ExecutorWorkers, name: String) {
        self.workers = workers
        self.name = name
    }
}

private typealias SetName = @convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32

/// `pthread_setname_np`, looked up at run time: Swift's Glibc module does not import it (it
/// sits behind `_GNU_SOURCE`).
private let setName: SetName? = {
    guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "pthread_setname_np") else { return nil }
    return unsafeBitCast(symbol, to: SetName.self)
}()

/// Names the calling thread (shown by `top -H`, `gdb`, `/proc`); the kernel keeps 15 bytes.
private func nameThisThread(_ name: String) {
    _ = setName?(pthread_self(), String(decoding: name.utf8.prefix(15), as: UTF8.self))
}
