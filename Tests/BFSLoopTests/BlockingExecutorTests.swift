import BFSTestSupport
import Glibc
import Testing
@testable import BFSLoop

/// A gate jobs wait on until the test opens it.
private final class Gate: @unchecked Sendable {
    private let open = Locked(false)
    func wait() { _ = waitUntil(seconds: 20) { open.get } }
    func release() { open.with { $0 = true } }
}

@Suite struct BlockingExecutorTests {
    /// Jobs run off the loop; `then` runs on the loop thread with the job's result.
    @Test func jobRunsOffTheLoopAndAnswersOnIt() throws {
        let loop = try EventLoop(name: "executor-test")
        loop.start()
        defer { loop.shutdown() }
        let executor = BlockingExecutor(name: "test-pool", threads: 2, queueLimit: 4)
        defer { executor.shutdown() }
        let seen = Locked<[String]>([])
        loop.execute {
            loop.run(on: executor, { () -> Bool in loop.inEventLoop }) { result in
                let offLoop = (try? result.get()) == false
                seen.with { $0.append("job off loop: \(offLoop), then on loop: \(loop.inEventLoop)") }
            }
            loop.run(on: executor, { () throws -> Int in throw UVError(code: -EIO, operation: "job") }) { result in
                seen.with { $0.append("error: \(String(describing: (try? result.get())))") }
            }
        }
        #expect(waitUntil { seen.get.count == 2 })
        #expect(seen.get.contains("job off loop: true, then on loop: true"))
        #expect(seen.get.contains("error: nil"))
    }

    /// Past the queue bound a job is refused at once (and `run(on:)` reports saturation), and
    /// the executor serves again once its queue drains.
    @Test func fullQueueRefusesInsteadOfGrowing() throws {
        let loop = try EventLoop(name: "executor-full")
        loop.start()
        defer { loop.shutdown() }
        let executor = BlockingExecutor(name: "test-full", threads: 1, queueLimit: 2)
        defer { executor.shutdown() }
        let gate = Gate()
        let ran = Locked(0)
        #expect(executor.submit { gate.wait(); ran.with { $0 += 1 } })
        #expect(waitUntil { executor.queuedCount == 0 })  // the thread took the first job
        #expect(executor.submit { ran.with { $0 += 1 } })
        #expect(executor.submit { ran.with { $0 += 1 } })
        #expect(!executor.submit { ran.with { $0 += 100 } })
        let refusal = Locked<UVError?>(nil)
        loop.execute {
            loop.run(on: executor, { 1 }) { result in
                if case .failure(let e as UVError) = result { refusal.with { $0 = e } }
            }
        }
        #expect(waitUntil { refusal.get != nil })
        #expect(refusal.get?.isExecutorSaturated == true)
        gate.release()
        #expect(waitUntil { ran.get == 3 })
        #expect(executor.submit { ran.with { $0 += 1 } })
        #expect(waitUntil { ran.get == 4 })
    }

    /// `shutdown` runs what was queued, then refuses; the threads are gone when it returns.
    @Test func shutdownDrainsTheQueue() {
        let executor = BlockingExecutor(name: "test-drain", threads: 2, queueLimit: 64)
        let ran = Locked(0)
        for _ in 0..<50 { #expect(executor.submit { usleep(100); ran.with { $0 += 1 } }) }
        executor.shutdown()
        #expect(ran.get == 50)
        #expect(!executor.submit { ran.with { $0 += 1 } })
        #expect(ran.get == 50)
    }

    /// Each executor has its own threads: one whose threads are all blocked does not delay
    /// another's jobs.
    @Test func executorsDoNotShareThreads() {
        let busy = BlockingExecutor(name: "test-busy", threads: 2, queueLimit: 8)
        let free = BlockingExecutor(name: "test-free", threads: 1, queueLimit: 8)
        defer { busy.shutdown(); free.shutdown() }
        let gate = Gate()
        for _ in 0..<4 { busy.submit { gate.wait() } }
        let ran = Locked(false)
        free.submit { ran.with { $0 = true } }
        #expect(waitUntil { ran.get })
        gate.release()
    }
}
