import CUV
import Glibc

/// Watches POSIX signals (SIGTERM, SIGINT, ...) on a loop and calls back on the loop thread.
///
/// Typical use: on SIGTERM, stop accepting and drain in-flight requests. Create on the loop
/// thread; the loop keeps the watcher alive until `close()`.
public final class SignalWatcher: LoopResource {
    private var handles: [UnsafeMutablePointer<uv_signal_t>] = []
    private var handler: ((Int32) -> Void)?
    private var closing = false
    /// The loop the watcher runs on.
    public let loop: EventLoop

    /// Starts watching `signals`; `handler` receives the signal number.
    public init(on loop: EventLoop, signals: [Int32] = [SIGTERM, SIGINT], handler: @escaping (Int32) -> Void) throws(UVError) {
        precondition(loop.inEventLoop, "SignalWatcher created off the loop thread")
        self.loop = loop
        self.handler = handler
        loop.register(self)
        for signum in signals {
            let h = UnsafeMutablePointer<uv_signal_t>.allocate(capacity: 1)
            uv_signal_init(loop.uvLoop, h)
            h.pointee.data = Unmanaged.passUnretained(self).toOpaque()
            handles.append(h)
            let rc = uv_signal_start(h, { h, signum in
                owner(h!.pointee.data, as: SignalWatcher.self).handler?(signum)
            }, signum)
            if rc < 0 {
                close()
                throw UVError(code: rc, operation: "uv_signal_start(\(signum))")
            }
        }
    }

    /// Stops watching and frees the handles (idempotent).
    public func close() {
        guard !closing else { return }
        closing = true
        handler = nil
        for h in handles {
            uv_close(asHandle(h)) { h in
                let watcher = owner(h!.pointee.data, as: SignalWatcher.self)
                h!.deallocate()
                watcher.didCloseOne()
            }
        }
        if handles.isEmpty { loop.unregister(self) }
    }

    private func didCloseOne() {
        handles.removeLast()
        if handles.isEmpty { loop.unregister(self) }
    }

    /// Closes the watcher when the loop shuts down.
    public func closeForShutdown() { close() }
}
