import BFSLoop
import Glibc
import Testing
@testable import BFSHTTP

@Suite struct HTTPSignalTests {
    /// A real SIGTERM to a child process: the watcher starts the drain, the in-flight request
    /// still gets its answer, and the process exits cleanly afterwards.
    @Test func sigtermDrainsInFlightRequestInAChildProcess() async {
        await #expect(processExitsWith: .exitCode(0)) {
            let release = Shared(false)
            let router = testRouter { r in
                r.add(.get, "/work") { ex in
                    ex.loop.runBlocking({ while !release.get { usleep(1000) } }) { _ in
                        ex.respond(body: .bytes(Array("finished".utf8)))
                    }
                }
            }
            let group = try EventLoopGroup(loopCount: 1, name: "sigterm")
            let server = HTTPServer(router: router)
            let port = try server.start(on: group)
            let drained = Shared(false)
            let loop = group.loops[0]
            try loop.submitAndWait {
                _ = try SignalWatcher(on: loop, signals: [SIGTERM]) { _ in
                    server.beginStop { drained.with { $0 = true } }
                }
            }
            let client = try RawClient(port: port)
            try client.send(get("/work"))
            usleep(50_000)
            kill(getpid(), SIGTERM)
            // The listener closes once the drain has begun; then the work may finish.
            guard waitUntil({ (try? RawClient(port: port)) == nil }) else { exit(3) }
            release.with { $0 = true }
            let r = try client.readResponse()
            guard r.status == 200, r.text == "finished", r.header("Connection") == "close" else { exit(4) }
            guard client.readsEOF(), waitUntil({ drained.get }) else { exit(5) }
            group.shutdown()
            exit(0)
        }
    }
}
