import Glibc

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
/// so dropping the executor can stop them. Every field is guarded by `mutex`; the threads are
/// detached and `join()` waits for the live count to reach zero instead.
private final class ExecutorWorkers: @unchecked Sendable {
    private let limit: Int
    private var jobs: [@Sendable () -> Void] = []
    private var head = 0
    private var closed = false
    private var alive = 0
    // Heap-allocated: pthread objects must not move.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init(limit: Int) {
        self.limit = limit
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        cond.deallocate()
        mutex.deallocate()
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    var queuedCount: Int { locked { jobs.count - head } }

    func spawn(name: String) {
        locked { alive += 1 }
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
        locked {
            guard !closed, jobs.count - head < limit else { return false }
            jobs.append(job)
            pthread_cond_signal(cond)
            return true
        }
    }

    func close() {
        locked {
            closed = true
            pthread_cond_broadcast(cond)
        }
    }

    /// Waits until every thread has drained the queue and exited.
    func join() {
        locked {
            while alive > 0 { pthread_cond_wait(cond, mutex) }
        }
    }

    /// A thread's life: take the oldest job, run it, until closed and drained.
    private func serve() {
        while let job = next() { job() }
        locked {
            alive -= 1
            pthread_cond_broadcast(cond)
        }
    }

    private func next() -> (@Sendable () -> Void)? {
        locked {
            while head == jobs.count {
                if closed { return nil }
                pthread_cond_wait(cond, mutex)
            }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            }
            return job
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
