import BFSTestSupport
import Glibc
import Synchronization
import Testing
@testable import BFSStorage

/// Power loss in the middle of concurrent appends and deletes (DESIGN.md §10): every acknowledged
/// append reads back byte-identical, every acknowledged delete stays deleted, and an operation
/// that was never acknowledged is either wholly there or wholly absent.
@Suite struct ConcurrentCrashTests {
    struct Ledger {
        var acked: Set<Int64> = []
        var deleted: Set<Int64> = []
        var attempted: Set<Int64> = []
        var deleteAttempted: Set<Int64> = []
    }

    @Test func crashUnderConcurrentWriters() throws {
        let seed = getenv("BFS_STORAGE_SEED").flatMap { UInt64(String(cString: $0)) } ?? UInt64(time(nil))
        print("ConcurrentCrashTests seed: \(seed)")
        let dir = TempDir("concurrent-crash")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        let v = try makeVolume(dir, fs: fs)
        let ledger = Mutex(Ledger())
        let crashed = Atomic<Bool>(false)
        let writers = 8
        let crashAfter = 200 + Int(seed % 600)  // acknowledged operations before the power fails
        let acks = Atomic<Int>(0)
        runThreads(writers + 1) { w in
            if w == writers {
                _ = waitUntil(seconds: 60, pollMilliseconds: 1) { acks.load(ordering: .relaxed) >= crashAfter }
                fs.crash()
                crashed.store(true, ordering: .relaxed)
                return
            }
            var i = 0
            var mine: [Int64] = []
            while !crashed.load(ordering: .relaxed) {
                i += 1
                if i % 4 == 0, let key = mine.popLast() {
                    ledger.withLock { _ = $0.deleteAttempted.insert(key) }
                    do {
                        try v.deleteAndWait(key: key)
                        ledger.withLock { _ = $0.deleted.insert(key) }
                    } catch { break }
                } else {
                    let key = Int64(w * 1_000_000 + i)
                    ledger.withLock { _ = $0.attempted.insert(key) }
                    do {
                        try v.appendAndWait(key: key, cookie: Int32(w), data: payload(key, 0, size: 100 + i % 3000))
                        ledger.withLock { _ = $0.acked.insert(key) }
                        mine.append(key)
                    } catch { break }
                }
                acks.add(1, ordering: .relaxed)
            }
        }
        v.close()
        let l = ledger.withLock { $0 }
        #expect(l.acked.count > 0)
        for round in 0..<2 {
            let r = try reopen(dir, fs: fs)
            for key in l.attempted {
                let cookie = Int32(key / 1_000_000)
                let outcome = r.readOutcome(key: key, cookie: cookie)
                if l.deleted.contains(key) {
                    #expect((try? outcome.get()) == nil, "acknowledged delete of \(key) undone (round \(round), seed \(seed))")
                } else if l.acked.contains(key) && !l.deleteAttempted.contains(key) {
                    #expect((try? outcome.get()) == payload(key, 0, size: 100 + Int(key % 1_000_000) % 3000),
                            "acknowledged append of \(key) lost (round \(round), seed \(seed))")
                } else {
                    // Never acknowledged (the append or the delete): all or nothing.
                    switch outcome {
                    case .success(let data):
                        #expect(data == payload(key, 0, size: 100 + Int(key % 1_000_000) % 3000), "half-visible \(key)")
                    case .failure(let e):
                        #expect(e == .needleNotFound || e == .needleDeleted, "unexpected \(e) for \(key)")
                    }
                }
            }
            r.close()
        }
    }
}
