import CUV
import Glibc

/// Held writes (`TCPConnection.coalescesWrites`, `WriteCoalescer`): small writes copied into the
/// connection's held buffer and written together at the end of the loop iteration.
extension TCPConnection {
    /// Copies `bytes` behind the held ones and makes sure they are flushed this iteration.
    func hold(_ bytes: UnsafeRawBufferPointer) {
        let needed = heldCount + bytes.count
        if needed > heldCapacity {
            var capacity = max(heldCapacity, 4096)
            while capacity < needed { capacity *= 2 }
            held = realloc(held, capacity)!
            heldCapacity = capacity
        }
        (held! + heldCount).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        heldCount = needed
        if !heldEnlisted {
            heldEnlisted = loop.enlistForFlush(self)
            if !heldEnlisted { flushHeldBytes() }  // the loop is shutting down: write now
        }
    }

    /// Writes the held bytes: straight to the socket when libuv has nothing queued, what the
    /// socket does not take through libuv's queue. Called by the loop's `WriteCoalescer`, and
    /// before any write or shutdown that must come after them.
    func flushHeldBytes() {
        heldEnlisted = false
        guard heldCount > 0 else { return }
        let count = heldCount
        heldCount = 0
        guard !isClosed else { return }
        var written = 0
        if uv_stream_get_write_queue_size(stream) == 0 {
            var buf = uv_buf_init(held!.assumingMemoryBound(to: CChar.self), UInt32(count))
            let n = uv_try_write(stream, &buf, 1)
            if n >= 0 {
                written = Int(n)
            } else if n != UV_EAGAIN.rawValue {
                return close()  // the peer is gone; the owner hears it from the close
            }
        }
        if written < count { write(UnsafeRawBufferPointer(start: held! + written, count: count - written)) }
    }
}
