import CUV
import Glibc

/// What a read callback receives: bytes, the peer's end of stream, or an error.
public enum TCPReadEvent {
    /// Bytes read; the buffer is the connection's and is valid only during the callback.
    case data(UnsafeRawBufferPointer)
    /// The peer shut down its side (EOF).
    case end
    /// Reading failed (e.g. ECONNRESET); the connection should be closed.
    case error(UVError)
}

/// A TCP stream (`uv_tcp_t`) on one loop, for servers (accepted) and clients (`connect`).
///
/// Reads go through one buffer per connection, allocated when reading starts. Writes copy the
/// caller's bytes (or take ownership of a `malloc`ed buffer) and complete in order. Closing:
/// `close()` cancels queued writes (their completions get `ECANCELED`); `shutdownAndClose()`
/// first waits for them, which is how an answer is delivered before hanging up.
/// Loop thread only. The loop keeps the connection alive until its close callback has run.
public final class TCPConnection: LoopResource {
    let handle: UnsafeMutablePointer<uv_tcp_t>
    /// The loop this connection lives on, forever.
    public let loop: EventLoop
    private let readBufferSize: Int
    private var readBuffer: UnsafeMutableRawPointer?
    private var onRead: ((TCPReadEvent) -> Void)?
    /// Called once, from the close callback, after every write completion has run.
    public var onClose: (() -> Void)?
    /// Whether `close()` was called (the handle may still be closing).
    public private(set) var isClosed = false
    /// Made on the first `whenWritable`, closed with the connection.
    private var writableWatcher: SocketWritableWatcher?
    /// Whether `tryWrite` holds small writes back until the end of the loop iteration
    /// (`WriteCoalescer`) instead of writing them at once; set by the owner after accept or connect.
    public var coalescesWrites = false
    /// Bytes `tryWrite` accepted but has not written yet (at most `heldLimit`), and the buffer,
    /// kept for the connection's life once made.
    var held: UnsafeMutableRawPointer?
    var heldCount = 0
    var heldCapacity = 0
    var heldEnlisted = false
    /// Larger writes go out at once (after the held bytes): copying them would cost more than
    /// the wake-up saved.
    static let heldLimit = 16 * 1024

    /// Wraps a fresh, unconnected `uv_tcp_t` (used by accept and connect).
    init(loop: EventLoop, readBufferSize: Int) {
        self.loop = loop
        self.readBufferSize = readBufferSize
        handle = .allocate(capacity: 1)
        uv_tcp_init(loop.uvLoop, handle)  // only fails for an invalid loop
        handle.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        loop.register(self)
    }

    var stream: UnsafeMutablePointer<uv_stream_t> { asStream(handle) }

    /// Starts delivering reads to `callback` (replacing any earlier callback).
    public func startReading(_ callback: @escaping (TCPReadEvent) -> Void) throws(UVError) {
        guard !isClosed else { throw UVError(code: -EBADF, operation: "uv_read_start") }
        onRead = callback
        if readBuffer == nil { readBuffer = .allocate(byteCount: readBufferSize, alignment: 16) }
        try uvCheck(uv_read_start(stream, { h, _, buf in
            let c = owner(h!.pointee.data, as: TCPConnection.self)
            buf!.pointee = uv_buf_init(c.readBuffer!.assumingMemoryBound(to: CChar.self), UInt32(c.readBufferSize))
        }, { s, nread, buf in
            let c = owner(s!.pointee.data, as: TCPConnection.self)
            c.didRead(nread, buf!.pointee.base)
        }), "uv_read_start")
    }

    /// Resumes reading with the callback given to `startReading` (after `stopReading`).
    public func resumeReading() {
        guard !isClosed, let callback = onRead else { return }
        try? startReading(callback)
    }

    /// Stops reading (the kernel buffers, then TCP flow control pushes back on the peer).
    public func stopReading() {
        guard !isClosed else { return }
        uv_read_stop(stream)
    }

    private func didRead(_ nread: Int, _ base: UnsafeMutablePointer<CChar>?) {
        guard let onRead else { return }
        if nread > 0 {
            onRead(.data(UnsafeRawBufferPointer(start: base, count: nread)))
        } else if nread == Int(UV_EOF.rawValue) {
            onRead(.end)
        } else if nread < 0 {
            onRead(.error(UVError(code: Int32(nread), operation: "read")))
        }
    }

    /// Bytes accepted but not yet handed to the kernel: libuv's queue plus the bytes held for
    /// the end of the iteration.
    public var writeQueueSize: Int { isClosed ? 0 : Int(uv_stream_get_write_queue_size(stream)) + heldCount }

    /// Whether bytes taken by `tryWrite` are waiting for the end of this loop iteration: a
    /// request written now would leave in the same system call.
    public var hasHeldWrites: Bool { heldCount > 0 }

    /// Writes as much of `bytes` as the socket takes right now, without queueing.
    ///
    /// Returns the count written: 0 when the socket is full or libuv still has queued writes
    /// (writing then would reorder bytes). With `coalescesWrites`, a small write is taken whole
    /// and held until the end of the loop iteration, when the held bytes go out in one call; a
    /// peer that is gone by then closes the connection (its read side reports it as well).
    public func tryWrite(_ bytes: UnsafeRawBufferPointer) throws(UVError) -> Int {
        guard !isClosed else { throw UVError(code: -EPIPE, operation: "uv_try_write") }
        guard bytes.count > 0 else { return 0 }
        if coalescesWrites && heldCount + bytes.count <= Self.heldLimit && uv_stream_get_write_queue_size(stream) == 0 {
            hold(bytes)
            return bytes.count
        }
        if heldCount > 0 {
            flushHeldBytes()
            guard !isClosed else { throw UVError(code: -EPIPE, operation: "uv_try_write") }
            if uv_stream_get_write_queue_size(stream) > 0 { return 0 }
        }
        var buf = uv_buf_init(UnsafeMutablePointer(mutating: bytes.baseAddress!.assumingMemoryBound(to: CChar.self)), UInt32(bytes.count))
        let n = uv_try_write(stream, &buf, 1)
        if n == UV_EAGAIN.rawValue { return 0 }
        return Int(try uvCheck(n, "uv_try_write"))
    }

    /// Queues a copy of `bytes`; `completion` runs on the loop once they reached the kernel.
    public func write(_ bytes: UnsafeRawBufferPointer, completion: ((UVError?) -> Void)? = nil) {
        let copy = malloc(max(bytes.count, 1))!
        if bytes.count > 0 { copy.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
        write(taking: copy, count: bytes.count, completion: completion)
    }

    /// Queues a copy of `bytes`; `completion` runs on the loop once they reached the kernel.
    public func write(_ bytes: [UInt8], completion: ((UVError?) -> Void)? = nil) {
        bytes.withUnsafeBytes { write($0, completion: completion) }
    }

    /// Queues a `malloc`ed buffer and takes ownership: it is `free`d after the write completes.
    public func write(taking buffer: UnsafeMutableRawPointer, count: Int, completion: ((UVError?) -> Void)? = nil) {
        let request = WriteRequest(buffer: buffer, completion: completion)
        if heldCount > 0 { flushHeldBytes() }  // held bytes were accepted first: they go first
        guard !isClosed else {
            request.finish(UVError(code: -ECANCELED, operation: "uv_write"))
            return
        }
        let req = UnsafeMutablePointer<uv_write_t>.allocate(capacity: 1)
        req.pointee.data = Unmanaged.passRetained(request).toOpaque()
        var buf = uv_buf_init(buffer.assumingMemoryBound(to: CChar.self), UInt32(count))
        let rc = uv_write(req, stream, &buf, 1) { req, status in
            let request = Unmanaged<WriteRequest>.fromOpaque(req!.pointee.data).takeRetainedValue()
            req!.deallocate()
            request.finish(status < 0 ? UVError(code: status, operation: "uv_write") : nil)
        }
        if rc < 0 {
            Unmanaged<WriteRequest>.fromOpaque(req.pointee.data).release()
            req.deallocate()
            request.finish(UVError(code: rc, operation: "uv_write"))
        }
    }

    /// Sends FIN once queued writes are flushed; reading may continue (half close).
    public func shutdown(_ completion: ((UVError?) -> Void)? = nil) {
        if heldCount > 0 { flushHeldBytes() }
        guard !isClosed else {
            completion?(UVError(code: -EPIPE, operation: "uv_shutdown"))
            return
        }
        let box = ShutdownRequest(completion: completion)
        let req = UnsafeMutablePointer<uv_shutdown_t>.allocate(capacity: 1)
        req.pointee.data = Unmanaged.passRetained(box).toOpaque()
        let rc = uv_shutdown(req, stream) { req, status in
            let box = Unmanaged<ShutdownRequest>.fromOpaque(req!.pointee.data).takeRetainedValue()
            req!.deallocate()
            box.completion?(status < 0 ? UVError(code: status, operation: "uv_shutdown") : nil)
        }
        if rc < 0 {
            Unmanaged<ShutdownRequest>.fromOpaque(req.pointee.data).release()
            req.deallocate()
            completion?(UVError(code: rc, operation: "uv_shutdown"))
        }
    }

    /// Delivers queued writes, sends FIN, then closes; the graceful way to hang up.
    public func shutdownAndClose() {
        shutdown { [self] _ in close() }
    }

    /// Calls `callback` once, on the loop, when the socket can take more bytes written directly
    /// (after `EAGAIN` from `sendfile`); with an error if the wait failed or the connection
    /// closed first. Never blocks the loop.
    public func whenWritable(_ callback: @escaping (UVError?) -> Void) {
        guard !isClosed else { return callback(UVError(code: -ECANCELED, operation: "uv_poll_start")) }
        do {
            if writableWatcher == nil { writableWatcher = try SocketWritableWatcher(loop: loop, socket: fileDescriptor) }
            writableWatcher!.wait(callback)
        } catch {
            callback(error)
        }
    }

    /// Closes now; queued writes complete with `ECANCELED` (idempotent).
    public func close() {
        guard !isClosed else { return }
        if heldCount > 0 {
            // As when they were written at once: whatever the socket takes now, nothing waits.
            var buf = uv_buf_init(held!.assumingMemoryBound(to: CChar.self), UInt32(heldCount))
            _ = uv_try_write(stream, &buf, 1)
            heldCount = 0
        }
        isClosed = true
        writableWatcher?.close()
        uv_close(asHandle(handle)) { h in
            owner(h!.pointee.data, as: TCPConnection.self).didClose()
            h!.deallocate()
        }
    }

    private func didClose() {
        readBuffer?.deallocate()
        readBuffer = nil
        free(held)
        held = nil
        heldCapacity = 0
        let callback = onClose
        onClose = nil
        onRead = nil
        callback?()
        loop.unregister(self)
    }

    /// Closes the connection when the loop shuts down.
    public func closeForShutdown() { close() }

    /// Sets or clears TCP_NODELAY (Nagle off: small answers leave at once).
    public func setNoDelay(_ on: Bool) {
        guard !isClosed else { return }
        uv_tcp_nodelay(handle, on ? 1 : 0)
    }

    /// The socket's file descriptor, for `sendfile(2)`; -1 once closed.
    ///
    /// Writing to it directly is only safe while `writeQueueSize == 0`, or bytes would
    /// overtake the ones libuv still holds.
    public var fileDescriptor: Int32 {
        guard !isClosed else { return -1 }
        var fd: uv_os_fd_t = -1
        uv_fileno(asHandle(handle), &fd)
        return fd
    }

    /// The peer's address as "host:port", or nil.
    public var remoteAddress: String? {
        var storage = sockaddr_storage()
        var len = Int32(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutableBytes(of: &storage) {
            uv_tcp_getpeername(handle, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), &len)
        }
        return rc == 0 ? SocketAddress.describe(storage) : nil
    }
}

/// The `data` of a `uv_write_t`: the buffer to free and the caller's completion.
private final class WriteRequest {
    let buffer: UnsafeMutableRawPointer
    let completion: ((UVError?) -> Void)?
    init(buffer: UnsafeMutableRawPointer, completion: ((UVError?) -> Void)?) {
        self.buffer = buffer
        self.completion = completion
    }
    func finish(_ error: UVError?) {
        free(buffer)
        completion?(error)
    }
}

/// The `data` of a `uv_shutdown_t`.
private final class ShutdownRequest {
    let completion: ((UVError?) -> Void)?
    init(completion: ((UVError?) -> Void)?) { self.completion = completion }
}
