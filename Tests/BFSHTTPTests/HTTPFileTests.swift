import BFSTestSupport
import BFSLoop
import Glibc
import Testing
@testable import BFSHTTP

/// Serves `/file?off=N&len=M` from `fd`.
func fileRouter(fd: Int32) -> HTTPRouter {
    testRouter { r in
        r.add(.get, "/file") { ex in
            var off: Int64 = 0, len = 0
            for pair in ex.head.query.split(separator: "&") {
                let kv = pair.split(separator: "=")
                if kv.count == 2, kv[0] == "off" { off = Int64(kv[1]) ?? 0 }
                if kv.count == 2, kv[0] == "len" { len = Int(kv[1]) ?? 0 }
            }
            ex.respond(headers: ["Content-Type": "application/octet-stream"], body: .file(fd: fd, offset: off, length: len))
        }
    }
}

private func writeAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int64) {
    var done = 0
    while done < bytes.count {
        let n = bytes[done...].withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset) + off_t(done)) }
        precondition(n > 0, "pwrite failed: \(errno)")
        done += n
    }
}

@Suite struct HTTPFileTests {
    /// A slow reader fills the socket, so sendfile hits EAGAIN: the sender must wait for
    /// writability and go on with sendfile, never read the file on the loop thread, and the loop
    /// must serve other connections meanwhile.
    @Test func tenMebibyteRangeToASlowReaderWaitsForWritability() throws {
        let seed = UInt64(time(nil)) ^ 0xF11E
        print("tenMebibyteRange seed \(seed)")
        var gen = SeededGenerator(seed: seed)
        let size = 10 * 1024 * 1024
        let content = gen.bytes(size + 8192)
        try withTempDir { dir in
            let fd = open(dir + "/blob", O_RDWR | O_CREAT, 0o644)
            #expect(fd >= 0)
            defer { close(fd) }
            writeAll(fd, content, at: 0)
            try withServer(router: fileRouter(fd: fd)) { server, port in
                let client = try TestHTTPClient(port: port, receiveBuffer: 16 * 1024)
                try client.send(get("/file?off=4096&len=\(size)") + get("/hello"))
                let head = try client.readHead()
                #expect(head.hasPrefix("HTTP/1.1 200 OK"))
                #expect(head.hasSuffix("Content-Length: \(size)"))
                var body = try client.read(count: 64 * 1024, chunk: 16 * 1024)
                // The range is far from sent; another connection is answered meanwhile.
                let other = try TestHTTPClient(port: port)
                #expect(try other.request("GET", "/hello").text == "hello")
                var reads = 0
                body += try client.read(count: size - body.count, pause: {
                    reads += 1
                    if reads < 20 { usleep(20_000) }
                }, chunk: 256 * 1024)
                #expect(body == Array(content[4096..<(4096 + size)]))
                #expect(try client.readResponse().text == "hello")
                #expect(server.sendfileWaitCount > 0, "the socket never filled: the test proves nothing")
            }
        }
    }

    @Test func rangeBeyondTwoGibibytesInASparseFile() throws {
        try withTempDir { dir in
            let fd = open(dir + "/sparse", O_RDWR | O_CREAT, 0o644)
            #expect(fd >= 0)
            defer { close(fd) }
            #expect(ftruncate(fd, off_t(3) << 30) == 0)
            let at = (Int64(1) << 31) + 12345
            let pattern = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            writeAll(fd, pattern, at: at)
            try withServer(router: fileRouter(fd: fd)) { _, port in
                let client = try TestHTTPClient(port: port)
                try client.send(get("/file?off=\(at - 100)&len=1100"))
                let r = try client.readResponse()
                #expect(r.status == 200)
                #expect(r.body == [UInt8](repeating: 0, count: 100) + pattern)
                try client.send("HEAD /file?off=\(at)&len=1000 HTTP/1.1\r\nHost: t\r\n\r\n")
                let h = try client.readResponse(isHead: true)
                #expect(h.header("Content-Length") == "1000")
                try client.send(get("/hello"))
                #expect(try client.readResponse().text == "hello")
            }
        }
    }

    @Test func rangePastEndOfFileClosesTheConnection() throws {
        try withTempDir { dir in
            let fd = open(dir + "/short", O_RDWR | O_CREAT, 0o644)
            defer { close(fd) }
            writeAll(fd, Array(repeating: 65, count: 100), at: 0)
            try withServer(router: fileRouter(fd: fd)) { _, port in
                let client = try TestHTTPClient(port: port)
                try client.send(get("/file?off=0&len=200"))
                let head = try client.readHead()
                #expect(head.contains("Content-Length: 200"))
                // The promised length cannot be met: the server must hang up, not stall or lie.
                #expect(throws: TestHTTPClient.Failure.self) { _ = try client.read(count: 200) }
            }
        }
    }
}
