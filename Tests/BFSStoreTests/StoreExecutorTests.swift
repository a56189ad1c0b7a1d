import BFSCore
import BFSTestSupport
import BFSLoop
import Foundation
import Glibc
import Synchronization
import Testing
@testable import BFSStorage
@testable import BFSStore

/// A gate blocking jobs until the test opens it (bounded: 20 s at most).
private final class JobGate: Sendable {
    private let opened = Locked(false)
    func wait() { _ = waitUntil(seconds: 20) { opened.get } }
    func open() { opened.with { $0 = true } }
}

/// Uploads, deletes, cold reads and stats have executors of their own (DESIGN.md §3).
@Suite struct StoreExecutorTests {
    /// Every thread of libuv's shared pool (where admin work runs) is busy: uploads, deletes,
    /// reads and `/info` are still answered. (The pool is process-wide, so the block is kept
    /// short: other suites' admin calls wait meanwhile.)
    @Test func apiWorkDoesNotQueueBehindAdminWork() throws {
        try withStoreHarness { h in
            let gate = JobGate()
            defer { gate.open() }
            let poolSize = Int(ProcessInfo.processInfo.environment["UV_THREADPOOL_SIZE"] ?? "") ?? 4
            let loop = h.group.loops[0]
            loop.execute {
                for _ in 0..<(poolSize + 2) { loop.runBlocking({ gate.wait() }) { _ in } }
            }
            let c = try TestHTTPClient(port: h.port, timeoutSeconds: 5)
            #expect(try c.upload(vid: 1, key: 1, cookie: 2, data: [1, 2, 3]).text == "{\"ret\":1}")
            #expect(try c.get(vid: 1, key: 1, cookie: 2).body == [1, 2, 3])
            #expect(try c.delete(vid: 1, key: 1).text == "{\"ret\":1}")
            let stat = try StoreTestHarness(vids: [], makeRouter: { makeStatRouter(context: $0) })
            defer {
                gate.open()  // first: a loop shuts down only once its pool jobs are done
                stat.shutdown()
            }
            let s = try TestHTTPClient(port: stat.port, timeoutSeconds: 5)
            let statLoop = stat.group.loops[0]
            statLoop.execute {
                for _ in 0..<(poolSize + 2) { statLoop.runBlocking({ gate.wait() }) { _ in } }
            }
            #expect(try s.request("GET", "/info").status == 200)
            #expect(try s.request("GET", "/metrics").status == 200)
        }
    }

    /// A full write queue answers deletes 503 `{"ret":65533}` at once instead of queueing more;
    /// uploads do not use it (they go to the volume's append thread) and are still answered.
    @Test func fullWriteQueueAnswers503() throws {
        try withStoreHarness { h in
            let gate = JobGate()
            defer { gate.open() }
            let writes = h.context.executors.writes
            for _ in 0..<writes.threadCount { #expect(writes.submit { gate.wait() }) }
            #expect(waitUntil { writes.queuedCount == 0 })  // every thread holds a job
            for _ in 0..<writes.queueLimit { #expect(writes.submit { gate.wait() }) }
            let c = try TestHTTPClient(port: h.port, timeoutSeconds: 5)
            #expect(try c.upload(vid: 1, key: 1, cookie: 2, data: [1, 2, 3]).text == "{\"ret\":1}")
            let delete = try c.delete(vid: 1, key: 1)
            #expect(delete.status == 503)
            #expect(delete.text == "{\"ret\":65533}")
            gate.open()
            #expect(waitUntil { writes.queuedCount == 0 })
            #expect(try c.delete(vid: 1, key: 1).text == "{\"ret\":1}")
        }
    }

    /// A volume whose append queue is full (its append thread waits for the append lock, held
    /// here as a long write would) answers uploads 503 `{"ret":65533}` at once; the queued ones
    /// are answered `{"ret":1}` once the lock is free.
    @Test func fullAppendQueueAnswers503() throws {
        try withStoreHarness { h in
            let volume = try #require(h.context.volumes.volume(1))
            let held = JobGate(), release = JobGate()
            let holder = Thread {
                volume.appender.withLock { _ in
                    held.open()
                    release.wait()
                }
            }
            holder.start()
            defer { release.open() }
            held.wait()
            let queued = Locked(0)
            for i in 0...Volume.submitQueueLimit {
                let ok = volume.submit(NeedleBatch([NeedleInput(key: Int64(100 + i), cookie: 1, data: [1])])) { r in
                    if case .success = r { queued.with { $0 += 1 } }
                }
                #expect(ok)
                // The first one is taken by the append thread, which then waits for the lock.
                if i == 0 { #expect(waitUntil { volume.inbox.update(wake: .none) { $0.items.isEmpty } }) }
            }
            let c = try TestHTTPClient(port: h.port, timeoutSeconds: 5)
            let upload = try c.upload(vid: 1, key: 1, cookie: 2, data: [1, 2, 3])
            #expect(upload.status == 503)
            #expect(upload.text == "{\"ret\":65533}")
            release.open()
            #expect(waitUntil { queued.get == Volume.submitQueueLimit + 1 })
            #expect(try c.upload(vid: 1, key: 1, cookie: 2, data: [1, 2, 3]).text == "{\"ret\":1}")
        }
    }

    /// `/metrics` and `/info` render on the stats executor: with it saturated they answer 503
    /// rather than render on the loop or queue without bound.
    @Test func statsRenderOnTheirExecutor() throws {
        let h = try StoreTestHarness(vids: [], makeRouter: { makeStatRouter(context: $0) })
        let gate = JobGate()
        defer {
            gate.open()
            h.shutdown()
        }
        let stats = h.context.executors.stats
        for _ in 0..<stats.threadCount { #expect(stats.submit { gate.wait() }) }
        #expect(waitUntil { stats.queuedCount == 0 })
        for _ in 0..<stats.queueLimit { #expect(stats.submit { gate.wait() }) }
        let c = try TestHTTPClient(port: h.port, timeoutSeconds: 5)
        #expect(try c.request("GET", "/metrics").status == 503)
        #expect(try c.request("GET", "/info").status == 503)
        gate.open()
        #expect(waitUntil { stats.queuedCount == 0 })
        let metrics = try c.request("GET", "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.text.contains("bfs_store_requests_total"))
    }
}
