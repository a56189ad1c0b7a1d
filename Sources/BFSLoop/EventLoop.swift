import CUV
import Glibc
import Synchronization

/// One libuv loop running on its own thread; everything a connection does happens here.
///
/// A loop is driven by exactly one pthread (`start()`), so state touched only from that thread
/// needs no lock. Other threads hand work over with `execute(_:)`: a `Mutex`-guarded queue plus a
/// `uv_async_t` whose callback drains the whole queue (libuv coalesces several `uv_async_send`
/// calls into one callback, so one wake-up may stand for many jobs).
///
/// Members that are not marked "from any thread" must be used on the loop thread only.
public final class EventLoop: @unchecked Sendable {
    /// The libuv loop; used by the handle wrappers in this module.
    let uvLoop: UnsafeMutablePointer<uv_loop_t>
    private let wakeup: UnsafeMutablePointer<uv_async_t>
    private let inbox = Mutex(Inbox())
    private let runningThread = Atomic<UInt>(0)
    private let started = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    private var thread: pthread_t = 0
    /// Open handle owners; holding them here keeps them alive while libuv holds their pointers.
    private var resources: [ObjectIdentifier: any LoopResource] = [:]
    /// Made by the first connection that holds writes back; closed at shutdown (not a registered
    /// resource: it is the loop's own, like the wake-up handle).
    private var coalescer: WriteCoalescer?
    private var closingEverything = false

    /// A name for logs.
    public let name: String

    private struct Inbox {
        var jobs: [@Sendable () -> Void] = []
        var closed = false
    }

    /// Creates a loop; call `start()` to run it on a new thread.
    public init(name: String = "bfs-loop") throws(UVError) {
        ignoreSIGPIPE()
        self.name = name
        uvLoop = .allocate(capacity: 1)
        wakeup = .allocate(capacity: 1)
        do {
            try uvCheck(uv_loop_init(uvLoop), "uv_loop_init")
        } catch {
            uvLoop.deallocate()
            wakeup.deallocate()
            throw error
        }
        // Cannot fail for a fresh loop; the async handle keeps uv_run alive until shutdown.
        uv_async_init(uvLoop, wakeup) { handle in
            owner(handle!.pointee.data, as: EventLoop.self).didWake()
        }
        wakeup.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        // By now run() has returned and uv_loop_close succeeded (or the loop never started).
        if !started.load(ordering: .acquiring) {
            uv_close(asHandle(wakeup), nil)
            uv_run(uvLoop, UV_RUN_NOWAIT)
            uv_loop_close(uvLoop)
        }
        uvLoop.deallocate()
        wakeup.deallocate()
    }

    /// Starts the loop thread. Call once.
    public func start() {
        precondition(!started.exchange(true, ordering: .acquiringAndReleasing), "EventLoop started twice")
        let arg = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&thread, nil, { arg in
            let loop = Unmanaged<EventLoop>.fromOpaque(arg!).takeRetainedValue()
            loop.run()
            return nil
        }, arg)
        precondition(rc == 0, "pthread_create failed: \(rc)")
    }

    private func run() {
        runningThread.store(UInt(pthread_self()), ordering: .releasing)
        uv_run(uvLoop, UV_RUN_DEFAULT)
        // uv_run returns only once no handle is active. Anything still open here was not
        // registered as a LoopResource; close it so uv_loop_close can succeed.
        if uv_loop_close(uvLoop) != 0 {
            uv_walk(uvLoop, { handle, _ in
                if uv_is_closing(handle) == 0 { uv_close(handle, nil) }
            }, nil)
            uv_run(uvLoop, UV_RUN_DEFAULT)
            uv_loop_close(uvLoop)
        }
    }

    /// Whether the caller runs on this loop's thread (from any thread).
    public var inEventLoop: Bool {
        runningThread.load(ordering: .acquiring) == UInt(pthread_self())
    }

    /// The loop's cached clock in milliseconds (`uv_now`), updated once per loop iteration.
    public var now: UInt64 { uv_now(uvLoop) }

    /// Runs `work` on the loop thread soon (from any thread). Jobs run in submission order.
    ///
    /// Jobs submitted after `shutdown()` began are dropped; the result says whether `work` was
    /// accepted (an accepted job always runs).
    @discardableResult
    public func execute(_ work: @escaping @Sendable () -> Void) -> Bool {
        inbox.withLock { box in
            guard !box.closed else { return false }
            box.jobs.append(work)
            // A non-empty queue means a send is already pending and its callback will see this
            // job too. The send stays under the lock so it can never race the handle's close.
            if box.jobs.count == 1 { uv_async_send(wakeup) }
            return true
        }
    }

    /// Runs `work` on the loop thread and waits for its result (from any thread but the loop's).
    public func submitAndWait<T: Sendable>(_ work: @escaping @Sendable () throws -> T) throws -> T {
        if inEventLoop { return try work() }
        let done = Completion<Result<T, any Error>>()
        guard execute({ done.fulfill(Result { try work() }) }) else {
            throw UVError(code: -ESHUTDOWN, operation: "EventLoop.submitAndWait after shutdown")
        }
        return try done.wait().get()
    }

    private func didWake() {
        var jobs: [@Sendable () -> Void] = []
        inbox.withLock { box in swap(&jobs, &box.jobs) }
        for job in jobs { job() }
    }

    /// Stops the loop: closes every registered handle, lets close callbacks run, joins the thread.
    ///
    /// Call from another thread; blocks until the loop thread has exited. Later calls return at
    /// once.
    public func shutdown() {
        precondition(!inEventLoop, "EventLoop.shutdown() called on its own thread")
        guard started.load(ordering: .acquiring), !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        execute { self.closeEverything() }
        pthread_join(thread, nil)
    }

    private func closeEverything() {
        closingEverything = true
        inbox.withLock { $0.closed = true }
        didWake()  // jobs accepted before the flag was set still run
        for resource in Array(resources.values) { resource.closeForShutdown() }
        coalescer?.close()
        uv_close(asHandle(wakeup), nil)
    }

    /// Has `connection`'s held bytes written at the end of this iteration; false once the loop
    /// is shutting down (the caller then writes at once).
    func enlistForFlush(_ connection: TCPConnection) -> Bool {
        guard !closingEverything else { return false }
        if coalescer == nil { coalescer = WriteCoalescer(loop: self) }
        coalescer!.enlist(connection)
        return true
    }

    /// Keeps `resource` alive and lets shutdown close it; call when it opens its handle.
    package func register(_ resource: any LoopResource) {
        resources[ObjectIdentifier(resource)] = resource
    }

    /// Releases the loop's reference; call from the handle's close callback.
    package func unregister(_ resource: any LoopResource) {
        resources.removeValue(forKey: ObjectIdentifier(resource))
    }

    /// The number of registered handle owners (for tests and stats).
    public var openResourceCount: Int { resources.count }
}

/// Ignores SIGPIPE once per process: libuv does not, and `sendfile`/`write` to a peer that has
/// closed would otherwise kill the process (exit 141). `MSG_NOSIGNAL` only covers `send`.
public func ignoreSIGPIPE() {
    _ = sigpipeIgnored
}

private let sigpipeIgnored: Bool = {
    signal(SIGPIPE, SIG_IGN)
    return true
}()
