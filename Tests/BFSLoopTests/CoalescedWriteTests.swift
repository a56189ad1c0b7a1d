import BFSTestSupport
import Glibc
import Testing
@testable import BFSLoop

/// `TCPConnection.coalescesWrites`: small writes are held until the end of the loop iteration,
/// go out in the order they were made (held, queued, shut down), and none is lost.
@Suite struct CoalescedWriteTests {
    /// A listener whose accepted connections hold their writes; `onAccept` runs on the loop.
    private func listen(on loop: EventLoop, _ onAccept: @escaping @Sendable (TCPConnection) -> Void) throws -> Int {
        try loop.submitAndWait {
            let listener = try TCPListener(on: loop, host: "127.0.0.1", port: 0) { conn in
                conn.coalescesWrites = true
                onAccept(conn)
            }
            return listener.port
        }
    }

    /// Reads from `fd` until EOF (blocking, bounded by a receive timeout).
    private func readAll(_ fd: Int32) -> [UInt8] {
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return out }
            out += buffer[0..<n]
        }
    }

    /// Writes as the HTTP server and client do: `tryWrite`, and what it did not take queued.
    private static func writeAll(_ conn: TCPConnection, _ bytes: [UInt8]) {
        let taken = (try? bytes.withUnsafeBytes { try conn.tryWrite($0) }) ?? 0
        if taken < bytes.count { bytes.withUnsafeBytes { conn.write(UnsafeRawBufferPointer(rebasing: $0[taken...])) } }
    }

    @Test func heldWritesWaitForTheIterationEndThenArriveInOrderWithQueuedOnesAndShutdown() throws {
        let group = try EventLoopGroup(loopCount: 1, name: "coalesce")
        defer { group.shutdown() }
        let loop = group.next()
        let duringCallback = Locked<[Int]>([])
        let large = [UInt8](repeating: UInt8(ascii: "L"), count: 3 * TCPConnection.heldLimit)
        let port = try listen(on: loop) { conn in
            // Everything here runs in one callback: held bytes reach the socket only after it.
            let taken1 = (try? Array("one,".utf8).withUnsafeBytes { try conn.tryWrite($0) }) ?? -1
            let taken2 = (try? Array("two,".utf8).withUnsafeBytes { try conn.tryWrite($0) }) ?? -1
            duringCallback.with { $0 = [taken1, taken2, conn.writeQueueSize] }
            conn.write(Array("three,".utf8))  // through libuv: must follow the held bytes
            Self.writeAll(conn, Array("four,".utf8))
            Self.writeAll(conn, large)  // too large to hold: written at once, after "four,"
            Self.writeAll(conn, Array("five".utf8))
            conn.shutdownAndClose()  // FIN only after everything above
        }
        let fd = connectLoopback(port: port)
        #expect(fd >= 0)
        defer { close(fd) }
        let received = readAll(fd)
        // Both small writes were taken whole and held (8 bytes waiting) while the callback ran.
        #expect(duringCallback.get == [4, 4, 8])
        #expect(received == Array("one,two,three,four,".utf8) + large + Array("five".utf8))
    }

    @Test func aBatchOfHeldAnswersAllArriveAndTheConnectionStaysUsable() throws {
        let group = try EventLoopGroup(loopCount: 1, name: "coalesce-echo")
        defer { group.shutdown() }
        let loop = group.next()
        let port = try listen(on: loop) { conn in
            try? conn.startReading { event in
                switch event {
                case .data(let bytes):
                    // Echo each byte as its own held write: many holds in one iteration.
                    for i in 0..<bytes.count {
                        let taken = (try? conn.tryWrite(UnsafeRawBufferPointer(rebasing: bytes[i..<(i + 1)]))) ?? 0
                        if taken == 0 { conn.write(UnsafeRawBufferPointer(rebasing: bytes[i..<(i + 1)])) }
                    }
                case .end, .error:
                    conn.shutdownAndClose()
                }
            }
        }
        let fd = connectLoopback(port: port)
        #expect(fd >= 0)
        defer { close(fd) }
        var expected: [UInt8] = []
        for round in 0..<50 {
            let message = Array("round \(round) ".utf8) + [UInt8](repeating: UInt8(round), count: round * 100)
            expected += message
            let sent = message.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            #expect(sent == message.count)
        }
        shutdown(fd, Int32(SHUT_WR))
        #expect(readAll(fd) == expected)
    }

    @Test func closingWithHeldBytesStillHandsThemToTheSocket() throws {
        let group = try EventLoopGroup(loopCount: 1, name: "coalesce-close")
        defer { group.shutdown() }
        let loop = group.next()
        let port = try listen(on: loop) { conn in
            _ = try? Array("bye".utf8).withUnsafeBytes { try conn.tryWrite($0) }
            conn.close()  // as when the bytes had been written at once: they are sent, then FIN
        }
        let fd = connectLoopback(port: port)
        #expect(fd >= 0)
        defer { close(fd) }
        #expect(readAll(fd) == Array("bye".utf8))
    }
}
