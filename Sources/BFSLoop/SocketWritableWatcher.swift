import CUV
import Glibc

/// Waits, without blocking the loop, until a TCP connection's socket can take more bytes: for
/// writers that bypass libuv's write queue (`sendfile(2)`) and get `EAGAIN`.
///
/// libuv refuses a poll handle on a descriptor one of its streams already watches (`EEXIST`),
/// so the watcher polls a `dup` of the socket: epoll keeps one registration per descriptor, and
/// both name the same socket. The dup is closed only after the poll handle has closed (libuv
/// removes it from epoll then). Owned by its `TCPConnection`, which closes it on close; a wait
/// still pending then ends with `ECANCELED`. Loop thread only.
final class SocketWritableWatcher: LoopResource {
    private let handle: UnsafeMutablePointer<uv_poll_t>
    private let fd: Int32
    private let loop: EventLoop
    private var callback: ((UVError?) -> Void)?
    private var closing = false

    /// Watches a duplicate of `socket`.
    init(loop: EventLoop, socket: Int32) throws(UVError) {
        let copy = fcntl(socket, F_DUPFD_CLOEXEC, 0)
        guard copy >= 0 else { throw UVError(code: -errno, operation: "dup") }
        let handle = UnsafeMutablePointer<uv_poll_t>.allocate(capacity: 1)
        let rc = uv_poll_init(loop.uvLoop, handle, copy)
        guard rc == 0 else {
            Glibc.close(copy)
            handle.deallocate()
            throw UVError(code: rc, operation: "uv_poll_init")
        }
        self.handle = handle
        self.fd = copy
        self.loop = loop
        handle.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        loop.register(self)
    }

    /// Calls `callback` once, when the socket is writable or has failed (a later write or
    /// `sendfile` then reports the error); replaces a wait still pending.
    func wait(_ callback: @escaping (UVError?) -> Void) {
        guard !closing else { return callback(UVError(code: -ECANCELED, operation: "uv_poll_start")) }
        self.callback = callback
        let events = Int32(UV_WRITABLE.rawValue | UV_DISCONNECT.rawValue)
        let rc = uv_poll_start(handle, events) { h, status, _ in
            let watcher = owner(h!.pointee.data, as: SocketWritableWatcher.self)
            uv_poll_stop(h)
            watcher.fire(status < 0 ? UVError(code: status, operation: "uv_poll") : nil)
        }
        if rc < 0 { fire(UVError(code: rc, operation: "uv_poll_start")) }
    }

    private func fire(_ error: UVError?) {
        let callback = self.callback
        self.callback = nil
        callback?(error)
    }

    /// Stops watching and frees the handle and the dup (idempotent).
    func close() {
        guard !closing else { return }
        closing = true
        uv_close(asHandle(handle)) { h in
            let watcher = owner(h!.pointee.data, as: SocketWritableWatcher.self)
            Glibc.close(watcher.fd)
            watcher.fire(UVError(code: -ECANCELED, operation: "uv_poll"))
            watcher.loop.unregister(watcher)
            h!.deallocate()
        }
    }

    func closeForShutdown() { close() }
}
