import BFSLoop
import Glibc

/// Sends a response head and a file range: `send(MSG_MORE)` + `sendfile(2)` on the loop thread,
/// falling back to `pread` + `uv_write` in bounded chunks while the socket is full.
///
/// Direct socket writes happen only while libuv has nothing queued for the stream, or they
/// would overtake queued bytes; after a fallback chunk completes, `sendfile` is tried again.
final class FileRangeSender {
    /// Bytes read per fallback chunk: bounds memory per slow client (256 KiB).
    static let fallbackChunkSize = 256 * 1024
    /// The most one `sendfile` call is asked to move; Linux caps a call near 2 GiB anyway.
    private static let maxSendfileCount = 1 << 30

    private let tcp: TCPConnection
    private let fileFD: Int32
    private var offset: off_t
    private var remaining: Int
    private var head: [UInt8]
    private var completion: ((HTTPError?) -> Void)?
    /// Called when the sender waits for the socket (true) or resumes (false); drives the send timeout.
    var onWaiting: ((Bool) -> Void)?
    /// How many times the EAGAIN fallback ran (for tests and stats).
    private(set) var fallbackCount = 0

    init(tcp: TCPConnection, head: [UInt8], fd: Int32, offset: Int64, length: Int, completion: @escaping (HTTPError?) -> Void) {
        self.tcp = tcp
        self.head = head
        self.fileFD = fd
        self.offset = off_t(offset)
        self.remaining = length
        self.completion = completion
    }

    /// Sends as much as possible now; continues from write completions until done.
    func pump() {
        onWaiting?(false)
        while completion != nil {
            if tcp.isClosed { return finish(.connectionClosed) }
            if !head.isEmpty {
                if !sendHead() { return }
                continue
            }
            if remaining == 0 { return finish(nil) }
            let n = sendfile(tcp.fileDescriptor, fileFD, &offset, min(remaining, Self.maxSendfileCount))
            if n > 0 {
                remaining -= n
                continue
            }
            if n == 0 { return finish(.fileRead(errno: EIO)) }  // the file is shorter than the range
            let e = errno
            if e == EINTR { continue }
            if e == EAGAIN { return writeFallbackChunk() }
            if e == EPIPE || e == ECONNRESET { return finish(.connectionClosed) }
            return finish(.fileRead(errno: e))
        }
    }

    /// Sends the head; false when the rest was queued to libuv (the pump resumes from its completion).
    private func sendHead() -> Bool {
        guard tcp.writeQueueSize == 0 else { return queue(head) }
        // MSG_MORE lets the head and the first file bytes share a segment; an empty range must
        // not cork, or the head would wait for the kernel's cork timer.
        let flags = Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL) | (remaining > 0 ? Int32(MSG_MORE) : 0)
        let n = head.withUnsafeBytes { send(tcp.fileDescriptor, $0.baseAddress, $0.count, flags) }
        if n == head.count {
            head = []
            return true
        }
        if n < 0 && errno != EAGAIN && errno != EINTR {
            finish(.connectionClosed)
            return false
        }
        return queue(Array(head[max(n, 0)...]))
    }

    private func queue(_ bytes: [UInt8]) -> Bool {
        head = []
        onWaiting?(true)
        tcp.write(bytes) { [self] error in
            if error != nil { finish(.connectionClosed) } else { pump() }
        }
        return false
    }

    private func writeFallbackChunk() {
        fallbackCount += 1
        let size = min(remaining, Self.fallbackChunkSize)
        let buffer = malloc(size)!
        var got = 0
        while got < size {
            let r = pread(fileFD, buffer + got, size - got, offset + off_t(got))
            if r > 0 {
                got += r
            } else if r < 0 && errno == EINTR {
                continue
            } else {
                free(buffer)
                return finish(.fileRead(errno: r == 0 ? EIO : errno))
            }
        }
        offset += off_t(got)
        remaining -= got
        onWaiting?(true)
        tcp.write(taking: buffer, count: got) { [self] error in
            if error != nil { finish(.connectionClosed) } else { pump() }
        }
    }

    private func finish(_ error: HTTPError?) {
        guard let completion else { return }
        self.completion = nil
        onWaiting?(false)
        onWaiting = nil
        completion(error)
    }
}
