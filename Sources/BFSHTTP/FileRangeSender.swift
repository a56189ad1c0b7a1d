import BFSLoop
import Glibc

/// Sends a response head and a file range: `send` + `sendfile(2)` on the loop thread.
/// While the socket is full (`EAGAIN`) it waits for writability through the loop and then
/// goes on with `sendfile`, as nginx does: the loop never reads the file itself, and a slow
/// client costs no buffer.
///
/// Direct socket writes happen only while libuv has nothing queued for the stream, or they
/// would overtake queued bytes.
///
/// The sender reports to its connection directly (`setSendWaiting`, `fileSendDidFinish`) rather
/// than through closures, so a file answer costs no closure allocations on the common path.
final class FileRangeSender {
    /// The most one `sendfile` call is asked to move; Linux caps a call near 2 GiB anyway.
    private static let maxSendfileCount = 1 << 30

    private let tcp: TCPConnection
    /// The connection owns the sender; it is told about waits and the end.
    private weak var connection: HTTPServerConnection?
    private let exchange: HTTPServerExchange
    private let fileFD: Int32
    private var offset: off_t
    private var remaining: Int
    private var head: [UInt8]
    /// The handler's completion, handed back to the connection at the end.
    private var completion: (@Sendable (HTTPError?) -> Void)?
    private var finished = false
    /// How many times the socket was full and the sender waited for it (for tests and stats).
    private(set) var writableWaits = 0

    init(connection: HTTPServerConnection, exchange: HTTPServerExchange, head: [UInt8], fd: Int32, offset: Int64,
         length: Int, completion: (@Sendable (HTTPError?) -> Void)?) {
        self.tcp = connection.tcp
        self.connection = connection
        self.exchange = exchange
        self.head = head
        self.fileFD = fd
        self.offset = off_t(offset)
        self.remaining = length
        self.completion = completion
    }

    /// Sends as much as possible now; continues from write completions until done.
    func pump() {
        connection?.setSendWaiting(false)
        while !finished {
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
        // No MSG_MORE: corking the head onto the file's first segment nearly doubled the kernel
        // time of a 64 KiB answer (27 against 16 us, Bench/store/README.md); the head goes alone.
        let flags = Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL)
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
        connection?.setSendWaiting(true)
        tcp.write(bytes) { [self] error in
            if error != nil { finish(.connectionClosed) } else { pump() }
        }
        return false
    }

    private func waitForWritable() {
        writableWaits += 1
        connection?.setSendWaiting(true)
        tcp.whenWritable { [self] error in
            if error != nil { finish(.connectionClosed) } else { pump() }
        }
    }

    private func finish(_ error: HTTPError?) {
        guard !finished else { return }
        finished = true
        let completion = self.completion
        self.completion = nil
        guard let connection else {
            completion?(error)  // the connection is gone; the handler still gets its resources back
            return
        }
        connection.setSendWaiting(false)
        connection.fileSendDidFinish(self, exchange: exchange, error: error, completion: completion)
    }
}
