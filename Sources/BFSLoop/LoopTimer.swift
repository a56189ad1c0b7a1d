import CUV

/// A `uv_timer_t` on one loop: fires a callback once or repeatedly, on the loop thread.
///
/// The loop keeps the timer alive until it is closed, so dropping the reference does not stop
/// it; call `close()` when done. Create and use it on the loop thread only.
public final class LoopTimer: LoopResource {
    private let handle: UnsafeMutablePointer<uv_timer_t>
    private var callback: (() -> Void)?
    private var closing = false
    /// The loop the timer runs on.
    public let loop: EventLoop

    init(loop: EventLoop, callback: @escaping () -> Void) {
        self.loop = loop
        self.callback = callback
        handle = .allocate(capacity: 1)
        uv_timer_init(loop.uvLoop, handle)  // only fails for an invalid loop
        handle.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        loop.register(self)
    }

    /// (Re)arms the timer: first firing after `milliseconds`, then every `repeating` ms if > 0.
    public func start(after milliseconds: UInt64, repeating: UInt64 = 0) {
        guard !closing else { return }
        uv_timer_start(handle, { h in
            owner(h!.pointee.data, as: LoopTimer.self).callback?()
        }, milliseconds, repeating)
    }

    /// Disarms the timer; it can be started again.
    public func stop() {
        guard !closing else { return }
        uv_timer_stop(handle)
    }

    /// Whether the timer is armed.
    public var isActive: Bool { !closing && uv_is_active(asHandle(handle)) != 0 }

    /// Stops the timer for good and frees it once libuv lets go (idempotent).
    public func close() {
        guard !closing else { return }
        closing = true
        callback = nil  // breaks cycles through captured owners
        uv_close(asHandle(handle)) { h in
            let timer = owner(h!.pointee.data, as: LoopTimer.self)
            timer.loop.unregister(timer)
            h!.deallocate()
        }
    }

    /// Closes the timer when the loop shuts down.
    public func closeForShutdown() { close() }
}

extension EventLoop {
    /// Creates and starts a timer firing after `milliseconds` (and then every `repeating` ms if
    /// it is > 0). Loop thread only.
    public func scheduleTimer(
        after milliseconds: UInt64, repeating: UInt64 = 0, _ callback: @escaping () -> Void
    ) -> LoopTimer {
        precondition(inEventLoop, "scheduleTimer off the loop thread")
        let timer = LoopTimer(loop: self, callback: callback)
        timer.start(after: milliseconds, repeating: repeating)
        return timer
    }

    /// Creates a timer that is not yet armed (`start(after:)` arms it). Loop thread only.
    public func makeTimer(_ callback: @escaping () -> Void) -> LoopTimer {
        precondition(inEventLoop, "makeTimer off the loop thread")
        return LoopTimer(loop: self, callback: callback)
    }
}
