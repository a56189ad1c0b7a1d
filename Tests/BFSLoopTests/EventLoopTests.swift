import BFSTestSupport
import Glibc
import Testing
@testable import BFSLoop

@Suite struct EventLoopTests {
    @Test func executeFromManyThreadsRunsEveryJobOnTheLoop() throws {
        let group = try EventLoopGroup(loopCount: 1, name: "exec")
        defer { group.shutdown() }
        let loop = group.next()
        let counter = Locked(0)
        let offLoop = Locked(0)
        onThreads(4) { _ in
            for _ in 0..<1000 {
                loop.execute {
                    if !loop.inEventLoop { offLoop.with { $0 += 1 } }
                    counter.with { $0 += 1 }
                }
            }
        }
        // Jobs run in order, so this one runs after all 4000 above.
        let seen = try loop.submitAndWait { counter.get }
        #expect(seen == 4000)
        #expect(offLoop.get == 0)
        #expect(!loop.inEventLoop)
    }

    @Test func timersFireOnceOrRepeatAndStop() throws {
        let group = try EventLoopGroup(loopCount: 1, name: "timers")
        defer { group.shutdown() }
        let loop = group.next()
        let once = Locked(0)
        let repeated = Locked(0)
        try loop.submitAndWait {
            var oneShot: LoopTimer?
            oneShot = loop.scheduleTimer(after: 10) {
                once.with { $0 += 1 }
                oneShot?.close()
            }
            var ticker: LoopTimer?
            ticker = loop.scheduleTimer(after: 5, repeating: 5) {
                let n = repeated.with { $0 += 1; return $0 }
                if n == 3 { ticker?.stop() }
                if n > 3 { Issue.record("stopped timer fired") }
            }
        }
        #expect(waitUntil { once.get == 1 && repeated.get == 3 })
        // A later timer orders the check after the ticker's next due times (5 ms period), so a
        // ticker that did not stop would have fired again before it.
        let marker = Locked(false)
        loop.execute {
            var later: LoopTimer?
            later = loop.scheduleTimer(after: 30) {
                marker.with { $0 = true }
                later?.close()
            }
        }
        #expect(waitUntil { marker.get })
        #expect(once.get == 1)
        #expect(repeated.get == 3)
    }

    @Test func runBlockingRunsOffTheLoopAndCompletesOnIt() throws {
        let group = try EventLoopGroup(loopCount: 1, name: "blocking")
        defer { group.shutdown() }
        let loop = group.next()
        let jobOnLoop = Locked<Bool?>(nil)
        let completionOnLoop = Locked<Bool?>(nil)
        let results = Locked<[String]>([])
        struct Boom: Error {}
        loop.execute {
            loop.runBlocking({ () -> Int in
                jobOnLoop.with { $0 = loop.inEventLoop }
                usleep(20_000)
                return 42
            }, then: { result in
                completionOnLoop.with { $0 = loop.inEventLoop }
                results.with { $0.append("value \((try? result.get()) ?? -1)") }
            })
            loop.runBlocking({ () -> Int in throw Boom() }, then: { result in
                results.with { $0.append((try? result.get()) == nil ? "error" : "value") }
            })
        }
        #expect(waitUntil { results.get.count == 2 })
        #expect(jobOnLoop.get == false)
        #expect(completionOnLoop.get == true)
        #expect(Set(results.get) == ["value 42", "error"])
    }

    @Test func groupStartsLoopsOnDistinctThreadsAndStops() throws {
        let group = try EventLoopGroup(loopCount: 3, name: "group")
        let picks = (0..<6).map { _ in ObjectIdentifier(group.next()) }
        #expect(Set(picks).count == 3)
        #expect(picks[0] == picks[3])
        let threads = try group.loops.map { loop in try loop.submitAndWait { UInt(pthread_self()) } }
        #expect(Set(threads).count == 3)
        group.shutdown()
        group.shutdown()  // idempotent
        // After shutdown, jobs are dropped instead of touching a closed loop.
        #expect(group.loops[0].execute {} == false)
    }

    @Test func shutdownClosesHandlesStillOpen() throws {
        let group = try EventLoopGroup(loopCount: 1, name: "leftover")
        let loop = group.next()
        let open = try loop.submitAndWait { () -> Int in
            _ = loop.scheduleTimer(after: 60_000) {}
            _ = try TCPListener(on: loop, host: "127.0.0.1", port: 0) { _ in }
            return loop.openResourceCount
        }
        #expect(open == 2)
        group.shutdown()  // returns only once uv_run has ended, i.e. every handle closed
    }

    @Test func signalWatcherReportsTheSignal() throws {
        let group = try EventLoopGroup(loopCount: 1, name: "signals")
        defer { group.shutdown() }
        let loop = group.next()
        let got = Locked<[Int32]>([])
        try loop.submitAndWait {
            _ = try SignalWatcher(on: loop, signals: [SIGUSR2]) { signum in
                #expect(loop.inEventLoop)
                got.with { $0.append(signum) }
            }
        }
        kill(getpid(), SIGUSR2)
        #expect(waitUntil { got.get == [SIGUSR2] })
    }
}
