/// Something that owns libuv handles on an `EventLoop` and must close them when the loop stops.
///
/// Handle owners register with their loop when they open a handle and unregister in the handle's
/// close callback. The registry is what keeps the owner alive while libuv holds its `data`
/// pointer, and it lets `EventLoop.shutdown()` close whatever is still open so `uv_run` returns.
public protocol LoopResource: AnyObject {
    /// Closes every handle this object owns (idempotent); called on the loop thread at shutdown.
    func closeForShutdown()
}
