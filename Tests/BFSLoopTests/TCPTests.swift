import BFSTestSupport
import Glibc
import Testing
@testable import BFSLoop

@Suite struct TCPTests {
    @Test func reusePortSpreadsAcceptsOverBothLoops() throws {
        let group = try EventLoopGroup(loopCount: 2, name: "reuse")
        defer { group.shutdown() }
        let accepted = Locked([0, 0])
        var port = 0
        for (i, loop) in group.loops.enumerated() {
            let asked = port
            port = try loop.submitAndWait {
                let listener = try TCPListener(on: loop, host: "127.0.0.1", port: asked, reusePort: true) { conn in
                    accepted.with { $0[i] += 1 }
                    conn.close()
                }
                return listener.port
            }
            if i == 1 { #expect(port == asked) }
        }
        var fds: [Int32] = []
        for _ in 0..<40 {
            let fd = connectLoopback(port: port)
            #expect(fd >= 0)
            fds.append(fd)
        }
        #expect(waitUntil { accepted.get.reduce(0, +) == 40 })
        // The kernel hashes each 4-tuple to one socket: all 40 on one loop has odds of 2^-39.
        #expect(accepted.get[0] > 0 && accepted.get[1] > 0)
        for fd in fds { close(fd) }
    }

    @Test func connectWriteReadEchoAndShutdown() throws {
        let group = try EventLoopGroup(loopCount: 1, name: "echo")
        defer { group.shutdown() }
        let loop = group.next()
        let reply = Locked<[UInt8]>([])
        let closed = Locked(false)
        try loop.submitAndWait {
            let listener = try TCPListener(on: loop, host: "127.0.0.1", port: 0) { conn in
                try? conn.startReading { event in
                    switch event {
                    case .data(let bytes): conn.write(bytes)
                    case .end, .error: conn.shutdownAndClose()
                    }
                }
            }
            TCPConnection.connect(on: loop, host: "localhost", port: listener.port) { result in
                guard case .success(let c) = result else {
                    Issue.record("connect failed: \(result)")
                    return
                }
                #expect(c.fileDescriptor >= 0)
                c.onClose = { closed.with { $0 = true } }
                try? c.startReading { event in
                    switch event {
                    case .data(let bytes): reply.with { $0 += bytes }
                    case .end, .error: c.close()
                    }
                }
                c.write(Array("ping".utf8)) { error in
                    #expect(error == nil)
                    c.shutdown()  // half close: the echo server answers, then closes too
                }
            }
        }
        #expect(waitUntil { closed.get })
        #expect(reply.get == Array("ping".utf8))
    }

    @Test func connectToAClosedPortFailsAndToABlackHoleTimesOut() throws {
        let group = try EventLoopGroup(loopCount: 1, name: "connect-fail")
        defer { group.shutdown() }
        let loop = group.next()
        // A port held by a bound socket that never listens: the kernel answers a SYN with a
        // reset, and no other test can take the port meanwhile.
        let closed = try PortReservation()
        defer { closed.release() }
        // A listener that never accepts, with a full accept queue: the kernel drops further
        // SYNs, so a handshake to it never completes.
        let blackHole = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(blackHole) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(blackHole, sa, len) == 0 && listen(blackHole, 0) == 0 && getsockname(blackHole, sa, &len) == 0
            }
        }
        let holePort = Int(UInt16(bigEndian: addr.sin_port))
        var fillers: [Int32] = []
        for _ in 0..<4 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            _ = withUnsafePointer(to: &addr) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            fillers.append(fd)
        }
        defer { for fd in fillers { close(fd) } }
        // The first filler's handshake fills the queue of one; wait (bounded) for it.
        var first = pollfd(fd: fillers[0], events: Int16(POLLOUT), revents: 0)
        #expect(poll(&first, 1, 5000) == 1)
        let refused = Locked<UVError?>(nil)
        let timedOut = Locked<UVError?>(nil)
        loop.execute {
            TCPConnection.connect(on: loop, host: "127.0.0.1", port: closed.port) { r in
                if case .failure(let e) = r { refused.with { $0 = e } }
            }
            TCPConnection.connect(on: loop, host: "127.0.0.1", port: holePort, timeoutMilliseconds: 200) { r in
                switch r {
                case .failure(let e): timedOut.with { $0 = e }
                case .success(let c): c.close(); timedOut.with { $0 = UVError(code: 0, operation: "connected") }
                }
            }
        }
        #expect(waitUntil { refused.get != nil && timedOut.get != nil })
        #expect(refused.get?.errno == ECONNREFUSED)
        #expect(timedOut.get?.errno == ETIMEDOUT)
    }
}
