import BFSTestSupport
import BFSLoop
import Dispatch
import Glibc
import Testing
@testable import BFSHTTP

/// Inodes of sockets whose local port is `port`, from /proc/net/tcp and tcp6.
private func socketInodes(port: Int) -> Set<String> {
    var inodes = Set<String>()
    let hexPort = ":" + String(String(port, radix: 16, uppercase: true).reversed()).padding(4).reversedString
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        guard let text = readText(table) else { continue }
        for line in text.split(separator: "\n").dropFirst() {
            let cols = line.split(separator: " ")
            guard cols.count > 9, cols[1].hasSuffix(hexPort), cols[9] != "0" else { continue }
            inodes.insert(String(cols[9]))
        }
    }
    return inodes
}

/// The socket inodes this process holds open (`socket:[N]` links in /proc/self/fd).
private func openSocketInodes() -> Set<String> {
    var out = Set<String>()
    guard let d = opendir("/proc/self/fd") else { return out }
    defer { closedir(d) }
    while let e = readdir(d) {
        let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        var buf = [CChar](repeating: 0, count: 256)
        let n = readlink("/proc/self/fd/" + name, &buf, buf.count - 1)
        guard n > 0 else { continue }
        let target = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if target.hasPrefix("socket:[") { out.insert(String(target.dropFirst(8).dropLast())) }
    }
    return out
}

func openFDCount() -> Int {
    guard let d = opendir("/proc/self/fd") else { return -1 }
    defer { closedir(d) }
    var n = 0
    while readdir(d) != nil { n += 1 }
    return n
}

private func readText(_ path: String) -> String? {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fd, &buf, buf.count)
        if n <= 0 { break }
        out += buf[0..<n]
    }
    return String(decoding: out, as: UTF8.self)
}

extension String {
    fileprivate func padding(_ n: Int) -> String { self + String(repeating: "0", count: max(0, n - count)) }
    fileprivate var reversedString: String { String(reversed()) }
}

@Suite struct HTTPLifecycleTests {
    @Test func noSocketOrHandleLeaksAfterTheServerStops() throws {
        let fdsBefore = openFDCount()
        let group = try EventLoopGroup(loopCount: 2, name: "leak-test")
        let server = HTTPServer(router: testRouter())
        let port = try server.start(on: group)
        var clients: [TestHTTPClient] = []
        for i in 0..<6 {
            let c = try TestHTTPClient(port: port)
            try c.send(get("/path?i=\(i)"))
            _ = try c.readResponse()
            clients.append(c)
        }
        let bad = try TestHTTPClient(port: port)
        try bad.send("BREW / HTTP/1.1\r\n\r\n")
        _ = try bad.readResponse()
        let half = try TestHTTPClient(port: port)
        try half.send("GET /hello HTTP/1.1\r\n")
        // While running, the check sees the server's sockets (so it can fail).
        let serverSide = socketInodes(port: port).intersection(openSocketInodes())
        #expect(serverSide.count >= 2 + 6)  // two listeners, six kept-alive connections
        server.stop(timeoutMilliseconds: 1000)
        #expect(socketInodes(port: port).intersection(openSocketInodes()).isEmpty)
        for loop in group.loops {
            #expect(try loop.submitAndWait { loop.openResourceCount } == 0)
        }
        group.shutdown()
        clients.removeAll()
        _ = (bad, half)
        // Other suites run in parallel and open fds too, so the count is reported, while the
        // exact check above is per socket.
        print("fds before \(fdsBefore), after \(openFDCount())")
    }

    @Test func stopDrainsAnInFlightRequestBeforeClosing() throws {
        let started = Locked(false)
        let release = Locked(false)
        let router = testRouter { r in
            r.add(.get, "/work") { ex in
                started.with { $0 = true }
                // Off-loop work that lasts until the test has seen the drain begin.
                ex.loop.runBlocking({ _ = waitUntil(seconds: 30) { release.get } }) { _ in
                    ex.respond(body: .bytes(Array("done".utf8)))
                }
            }
        }
        let group = try EventLoopGroup(loopCount: 1, name: "drain-test")
        defer { group.shutdown() }
        let server = HTTPServer(router: router)
        let port = try server.start(on: group)
        let idle = try TestHTTPClient(port: port)
        try idle.send(get("/hello"))
        _ = try idle.readResponse()
        let client = try TestHTTPClient(port: port)
        try client.send(get("/work"))
        #expect(waitUntil { started.get })
        let stopped = Locked(false)
        DispatchQueue.global().async {
            server.stop(timeoutMilliseconds: 5000)
            stopped.with { $0 = true }
        }
        // The listener closes when the drain begins; the request is still in flight then.
        #expect(waitUntil { (try? TestHTTPClient(port: port)) == nil })
        #expect(!stopped.get)
        release.with { $0 = true }
        let r = try client.readResponse()
        #expect(r.status == 200)
        #expect(r.text == "done")
        #expect(r.header("Connection") == "close")
        #expect(client.readsEOF())
        #expect(idle.readsEOF())
        #expect(waitUntil { stopped.get })
        #expect(throws: TestHTTPClient.Failure.self) { _ = try TestHTTPClient(port: port) }
    }

    @Test func stopIsBoundedWhenAHandlerNeverAnswers() throws {
        let router = testRouter { r in r.add(.get, "/never") { _ in } }
        let group = try EventLoopGroup(loopCount: 1, name: "drain-bound")
        defer { group.shutdown() }
        let server = HTTPServer(router: router)
        let port = try server.start(on: group)
        let client = try TestHTTPClient(port: port)
        try client.send(get("/never"))
        #expect(waitUntil { server.connectionCount == 1 })
        server.stop(timeoutMilliseconds: 200)
        #expect(client.readsEOF())
    }
}

@Suite struct HTTPPortTests {
    @Test func secondServerOnATakenPortFailsDespiteReusePort() throws {
        try withServer(loops: 2, router: testRouter()) { _, port in
            let group = try EventLoopGroup(loopCount: 2, name: "second")
            defer { group.shutdown() }
            var config = HTTPServerConfiguration()
            config.port = port
            let second = HTTPServer(configuration: config, router: testRouter())
            #expect(throws: UVError.self) { try second.start(on: group) }
            // The first server still answers.
            let client = try TestHTTPClient(port: port)
            try client.send(get("/hello"))
            #expect(try client.readResponse().text == "hello")
        }
    }

    @Test func clientThatStopsReadingIsCutOffBySendTimeout() throws {
        try withTempDir { dir in
            let fd = open(dir + "/big", O_RDWR | O_CREAT, 0o644)
            defer { close(fd) }
            #expect(ftruncate(fd, 16 << 20) == 0)
            try withServer(configure: { $0.sendTimeoutMilliseconds = 300 }, router: fileRouter(fd: fd)) { server, port in
                let client = try TestHTTPClient(port: port, receiveBuffer: 16 * 1024)
                try client.send(get("/file?off=0&len=\(16 << 20)"))
                #expect(waitUntil { server.connectionCount == 1 })
                // Never read: the server must give the slot back.
                #expect(waitUntil { server.connectionCount == 0 })
            }
        }
    }
}
