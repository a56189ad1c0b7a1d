import BFSTestSupport
import BFSLoop
import Dispatch
import Glibc
import Testing
@testable import BFSHTTP

/// Tests that need a process of their own: a real signal, an undisturbed descriptor table.
@Suite struct HTTPChildProcessTests {
    /// A real SIGTERM to a child process: the watcher starts the drain, the in-flight request
    /// still gets its answer, and the process exits cleanly afterwards.
    @Test func sigtermDrainsInFlightRequestInAChildProcess() async {
        await #expect(processExitsWith: .exitCode(0)) {
            let release = Locked(false)
            let started = Locked(false)
            let router = testRouter { r in
                r.add(.get, "/work") { ex in
                    started.with { $0 = true }
                    ex.loop.runBlocking({ _ = waitUntil(seconds: 30) { release.get } }) { _ in
                        ex.respond(body: .bytes(Array("finished".utf8)))
                    }
                }
            }
            let group = try EventLoopGroup(loopCount: 1, name: "sigterm")
            let server = HTTPServer(router: router)
            let port = try server.start(on: group)
            let drained = Locked(false)
            let loop = group.loops[0]
            try loop.submitAndWait {
                _ = try SignalWatcher(on: loop, signals: [SIGTERM]) { _ in
                    server.beginStop { drained.with { $0 = true } }
                }
            }
            let client = try TestHTTPClient(port: port)
            try client.send(get("/work"))
            guard waitUntil({ started.get }) else { exit(2) }
            kill(getpid(), SIGTERM)
            // The listener closes once the drain has begun; then the work may finish.
            guard waitUntil({ (try? TestHTTPClient(port: port)) == nil }) else { exit(3) }
            release.with { $0 = true }
            let r = try client.readResponse()
            guard r.status == 200, r.text == "finished", r.header("Connection") == "close" else { exit(4) }
            guard client.readsEOF(), waitUntil({ drained.get }) else { exit(5) }
            group.shutdown()
            exit(0)
        }
    }

    /// Compares /proc/self/fd before and after a whole server lifecycle (two loops, keep-alive,
    /// file bodies, an error answer, a request cut off by the stop), in a child process where no
    /// other test opens descriptors meanwhile.
    @Test func noDescriptorLeaksOverAServerLifecycle() async {
        await #expect(processExitsWith: .exitCode(0)) {
            // libuv opens a process-wide signal lock pipe at the first uv_loop_init and keeps
            // it for the life of the process; one loop lifecycle first takes it out of the picture.
            if let warmUp = try? EventLoopGroup(loopCount: 1, name: "warm-up") { warmUp.shutdown() }
            let before = openDescriptors()
            // libdispatch's manager thread holds a timerfd per clock while a dispatch timer of
            // that clock is pending and closes it when none is; the harness's own timers come and
            // go like that, more often under load. A wall-clock timer armed now makes it happen
            // on every run, so the count below must not take such a descriptor for the server's.
            DispatchQueue.global().asyncAfter(wallDeadline: .now() + 3600) {}
            guard waitUntil({ hasRealtimeTimerDescriptor() }) else { exit(4) }
            do {
                var dir = Array("/tmp/bfs-fdcount-XXXXXX".utf8CString)
                guard let p = mkdtemp(&dir) else { exit(2) }
                let path = String(cString: p) + "/blob"
                let fd = open(path, O_RDWR | O_CREAT, 0o644)
                _ = ftruncate(fd, 8 << 20)
                let group = try EventLoopGroup(loopCount: 2, name: "fdcount")
                let server = HTTPServer(router: fileRouter(fd: fd))
                let port = try server.start(on: group)
                do {
                    let a = try TestHTTPClient(port: port, receiveBuffer: 16 * 1024)
                    for i in 0..<5 {
                        try a.send(get("/path?i=\(i)") + get("/file?off=0&len=\(1 << 20)"))
                        _ = try a.readResponse()
                        _ = try a.readResponse()
                    }
                    // A body larger than the socket can hold, read late: the sender waits for
                    // writability on a dup of the socket, which must be closed as well.
                    try a.send(get("/file?off=0&len=\(8 << 20)"))
                    usleep(100_000)
                    _ = try a.readResponse()
                    guard server.sendfileWaitCount > 0 else { exit(5) }
                    let bad = try TestHTTPClient(port: port)
                    try bad.send("BREW / HTTP/1.1\r\n\r\n")
                    _ = try bad.readResponse()
                    let partial = try TestHTTPClient(port: port)
                    try partial.send("POST /echo HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc")
                    server.stop(timeoutMilliseconds: 300)
                }
                group.shutdown()
                close(fd)
                unlink(path)
                rmdir(String(cString: p))
            } catch {
                exit(3)
            }
            // Descriptors the server could leak: sockets, the epoll and eventfd of the loops, the
            // served file. (libuv keeps timers in its own heap and opens no timerfd; the test
            // harness of the child may open its own pipes meanwhile.)
            let leaked = openDescriptors().subtracting(before).filter {
                $0.contains("-> socket:") || $0.hasSuffix("-> anon_inode:[eventpoll]")
                    || $0.hasSuffix("-> anon_inode:[eventfd]") || $0.contains("/bfs-fdcount-")
            }
            for target in leaked {
                let line = Array("leaked: \(target)\n".utf8)
                _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            }
            exit(leaked.isEmpty ? 0 : Int32(10 + min(leaked.count, 100)))
        }
    }
}

/// Every open descriptor as "fd -> target" (e.g. "7 -> socket:[123]"), from /proc/self/fd.
func openDescriptors() -> Set<String> {
    var out = Set<String>()
    guard let d = opendir("/proc/self/fd") else { return out }
    defer { closedir(d) }
    while let e = readdir(d) {
        let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard name != ".", name != ".." else { continue }
        var buf = [CChar](repeating: 0, count: 256)
        let n = readlink("/proc/self/fd/" + name, &buf, buf.count - 1)
        guard n > 0 else { continue }  // the directory handle itself is gone by now
        out.insert("\(name) -> " + String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
    return out
}

/// Whether a timerfd on CLOCK_REALTIME is open (its /proc/self/fdinfo says "clockid: 0").
func hasRealtimeTimerDescriptor() -> Bool {
    openDescriptors().contains { entry in
        guard entry.hasSuffix("-> anon_inode:[timerfd]"), let fd = entry.split(separator: " ").first else { return false }
        let info = open("/proc/self/fdinfo/\(fd)", O_RDONLY)
        guard info >= 0 else { return false }
        defer { close(info) }
        var buf = [UInt8](repeating: 0, count: 512)
        let n = read(info, &buf, buf.count)
        return n > 0 && String(decoding: buf[0..<n], as: UTF8.self).contains("clockid: 0\n")
    }
}
