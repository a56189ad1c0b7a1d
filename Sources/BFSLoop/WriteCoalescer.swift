import CUV

/// Hands the small writes a loop iteration made to the kernel together, once the iteration's
/// I/O callbacks have all run: one `write` per connection per iteration, and the peers woken
/// in one burst instead of once per answer.
///
/// On loopback and on busy hosts a socket write's cost is dominated by waking the reader (an
/// inter-processor interrupt when it sleeps on another core). Written the moment each answer
/// is ready, every answer of a batch of ready connections wakes its peer separately, often
/// after that peer went back to sleep; written together at the end of the batch, the later
/// writes find the peers still running. This is the "flush at the end of the read batch" of
/// event-loop servers.
///
/// Connections with bytes held (`TCPConnection.coalescesWrites`) enlist once per iteration; the
/// coalescer flushes them from a `uv_check` handle (right after the I/O callbacks) and again
/// from a `uv_prepare` handle (right before the loop may block), so nothing written by a timer
/// or a write completion waits for the next event. Both handles are unreferenced: they never
/// keep the loop alive. Loop thread only; made on first use, closed by the loop at shutdown
/// (the loop holds it until then; the handles' `data` stays valid while they close).
final class WriteCoalescer {
    private let check: UnsafeMutablePointer<uv_check_t>
    private let prepare: UnsafeMutablePointer<uv_prepare_t>
    private var enlisted: [TCPConnection] = []
    private var openHandles = 2
    private var closing = false

    init(loop: EventLoop) {
        check = .allocate(capacity: 1)
        prepare = .allocate(capacity: 1)
        // Neither call can fail on a live loop.
        uv_check_init(loop.uvLoop, check)
        uv_prepare_init(loop.uvLoop, prepare)
        check.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        prepare.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        uv_check_start(check) { h in owner(h!.pointee.data, as: WriteCoalescer.self).flush() }
        uv_prepare_start(prepare) { h in owner(h!.pointee.data, as: WriteCoalescer.self).flush() }
        uv_unref(asHandle(check))
        uv_unref(asHandle(prepare))
    }

    /// Flushes `connection` at the end of this iteration (the caller enlists it once).
    func enlist(_ connection: TCPConnection) {
        enlisted.append(connection)
    }

    /// Writes out every enlisted connection; a flush that closes a connection may enlist others,
    /// which are flushed in the same pass. Indexed so the list's buffer is reused, never copied.
    func flush() {
        guard !enlisted.isEmpty else { return }
        var i = 0
        while i < enlisted.count {
            let connection = enlisted[i]
            i += 1
            connection.flushHeldBytes()
        }
        enlisted.removeAll(keepingCapacity: true)
    }

    /// Flushes what is held and closes both handles; the loop calls it last at shutdown.
    func close() {
        guard !closing else { return }
        closing = true
        flush()
        let done: uv_close_cb = { h in owner(h!.pointee.data, as: WriteCoalescer.self).handleClosed() }
        uv_close(asHandle(check), done)
        uv_close(asHandle(prepare), done)
    }

    private func handleClosed() {
        openHandles -= 1
        guard openHandles == 0 else { return }
        check.deallocate()
        prepare.deallocate()
    }
}
