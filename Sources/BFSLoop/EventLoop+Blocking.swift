import CUV
import Glibc

/// The type-erased job and completion of one `runBlocking` call.
private final class BlockingWork: @unchecked Sendable {
    let work: () -> Void
    let after: () -> Void
    init(work: @escaping () -> Void, after: @escaping () -> Void) {
        self.work = work
        self.after = after
    }
}

/// Carries a job's result from the pool thread to the loop thread; libuv orders the two.
private final class ResultCell<T>: @unchecked Sendable {
    var value: Result<T, any Error>?
}

extension EventLoop {
    /// Runs `job` off the loop (libuv's thread pool) and then calls `then` with its result on
    /// the loop thread. Loop thread only.
    ///
    /// This is for work a loop must never do itself: fsync, database calls, big file copies.
    /// The pool is shared by all loops of the process; its size is `UV_THREADPOOL_SIZE`
    /// (default 4), read once when the pool first starts.
    public func runBlocking<T>(
        _ job: @escaping @Sendable () throws -> T,
        then: @escaping (Result<T, any Error>) -> Void
    ) {
        precondition(inEventLoop, "runBlocking off the loop thread")
        let cell = ResultCell<T>()
        let item = BlockingWork(
            work: { cell.value = Result { try job() } },
            after: { then(cell.value ?? .failure(UVError(code: -ECANCELED, operation: "uv_queue_work"))) })
        let req = UnsafeMutablePointer<uv_work_t>.allocate(capacity: 1)
        req.pointee.data = Unmanaged.passRetained(item).toOpaque()
        let rc = uv_queue_work(uvLoop, req, { req in
            owner(req!.pointee.data, as: BlockingWork.self).work()
        }, { req, _ in
            let item = Unmanaged<BlockingWork>.fromOpaque(req!.pointee.data).takeRetainedValue()
            req!.deallocate()
            item.after()
        })
        if rc < 0 {
            Unmanaged<BlockingWork>.fromOpaque(req.pointee.data).release()
            req.deallocate()
            then(.failure(UVError(code: rc, operation: "uv_queue_work")))
        }
    }
}

extension EventLoop {
    /// Runs `job` on `executor` and then calls `then` with its result on this loop's thread.
    /// Loop thread only. When the executor's queue is full (or it shut down), `then` gets
    /// `UVError.executorSaturated` at once, so the caller can answer 503.
    public func run<T>(
        on executor: BlockingExecutor,
        _ job: @escaping @Sendable () throws -> T,
        then: @escaping (Result<T, any Error>) -> Void
    ) {
        precondition(inEventLoop, "run(on:) off the loop thread")
        let answer = LoopConfined(then)
        let accepted = executor.submit {
            let result = LoopConfined(Result { try job() })
            // A loop that is shutting down drops the answer; its connections are closing too.
            self.execute { answer.value(result.value) }
        }
        if !accepted { then(.failure(UVError.executorSaturated)) }
    }
}

/// A value handed between a loop thread and a worker that never touch it at the same time (the
/// hand-over through the loop's inbox orders the accesses).
private final class LoopConfined<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

extension UVError {
    /// What `EventLoop.run(on:)` reports when the executor refused the job (`EBUSY`).
    public static let executorSaturated = UVError(code: -EBUSY, operation: "executor queue full")

    /// Whether this is an executor's refusal (answer 503, the work never ran).
    public var isExecutorSaturated: Bool { self == .executorSaturated }
}
