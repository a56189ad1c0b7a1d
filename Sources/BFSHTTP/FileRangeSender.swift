import BFSLoop
import Glibc

/// Sends a response head and a file range: `send(MSG_MORE)` + `sendfile(2)` on the loop thread.
/// While the socket is full (`EAGAIN`) it waits for writability through the loop and then
/// goes on with `sendfile`, as nginx does: the loop never reads the file itself, and a slow
/// client costs no buffer.
///
/// Direct socket writes happen only while libuv has nothing queued for the stream, or they
/// would overtake queued bytes.
final class FileRangeSender {    /// The most one `sendfile` call is asked to move; Linux caps a call near 2 GiB anyway.
    private static let maxSendfileCount = 1 << 30

    private let tcp: TCPConnection
    private let fileFD: Int32
    private var offset: off_t
    private var remaining: Int
    private var head: [UInt8]
    private var completion: ((HTTPError?) -> Void)?
    /// Called when the sender waits for the socket (true) or resumes (false); drives the send timeout.
    var onWaiting: ((Bool) -> Void)?
    /// How many times the socket was full and the sender waited for it (for tests and stats).
    private(set) var writableWaits = 0

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
            if e == EAGAIN { return waitForWritable() }
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

    private func waitForWritable() {
        writableWaits += 1
        onWaiting?(true)
        tcp.whenWritable { [self] error in
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
