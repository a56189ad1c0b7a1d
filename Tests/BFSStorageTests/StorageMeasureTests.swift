import BFSTestSupport
import Dispatch
import Glibc
import Synchronization
import Testing
@testable import BFSStorage

/// Storage measurements (Bench/storage/README.md). Off unless BFS_MEASURE=1; run them in release:
/// `BFS_MEASURE=1 swift test -c release --filter StorageMeasure`. They print numbers and check only
/// correctness (every operation acknowledged, every needle found), never timings.
///
/// Workloads:
/// - append-4k-durable-1: one writer, 4 KiB needles, each acknowledged after fdatasync;
/// - append-4k-durable-32: 32 writer threads, same, sharing syncs through group commit;
/// - locate-random: random `locate` (map lookup + 21-byte header pread) over 100 k needles;
/// - reopen-1m: open a volume of 1 M needles from its index; and from the block alone (tail scan).
@Suite(.enabled(if: getenv("BFS_MEASURE") != nil)) struct StorageMeasureTests {
    func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    func percentile(_ sorted: [Double], _ p: Double) -> Double {
        sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }

    @Test func appendDurable4KiB() throws {
        let dir = TempDir("measure-append")
        defer { dir.remove() }
        let v = try makeVolume(dir, fs: PosixFileSystem())
        defer { v.close() }
        let data = payload(1, 0, size: 4096)
        var latencies: [Double] = []
        let n1 = 2000
        let t0 = now()
        for k in 0..<n1 {
            let s = now()
            try v.appendAndWait(key: Int64(k), cookie: 1, data: data)
            latencies.append(now() - s)
        }
        let elapsed = now() - t0
        latencies.sort()
        print(String(describing: "append-4k-durable-1: \(Int(Double(n1) / elapsed)) appends/s, p50 \(Int(percentile(latencies, 0.5) * 1e6)) us, p99 \(Int(percentile(latencies, 0.99) * 1e6)) us"))

        for lanes in [1, 2, 4] {
            try measureConcurrentAppends(lanes: lanes, data: data)
        }
        // The same without fdatasync: the CPU ceiling of the append path on this machine.
        try measureConcurrentAppends(lanes: 2, data: data, durable: false)
    }

    func measureConcurrentAppends(lanes: Int, data: [UInt8], durable: Bool = true) throws {
        let dir = TempDir("measure-append-32")
        defer { dir.remove() }
        var settings = VolumeSettings()
        settings.syncLanes = lanes
        settings.durableWrites = durable
        let v = try makeVolume(dir, fs: PosixFileSystem(), settings: settings)
        defer { v.close() }
        let writers = 32, perWriter = 500
        let failures = Atomic<Int>(0)
        let t0 = now()
        // Real threads: concurrentPerform would cap the writers at the core count.
        runThreads(writers) { w in
            for i in 0..<perWriter {
                do { try v.appendAndWait(key: Int64(w * perWriter + i), cookie: 1, data: data) } catch {
                    failures.add(1, ordering: .relaxed)
                }
            }
        }
        let elapsed = now() - t0
        let info = v.info
        let total = writers * perWriter
        print("append-4k-\(durable ? "durable" : "nondurable")-32 (\(lanes) sync lanes): \(Int(Double(total) / elapsed)) appends/s, \(info.syncs) fdatasyncs, \(String(Double(total) / Double(max(1, info.syncs))).prefix(5)) appends per sync")
        #expect(failures.load(ordering: .relaxed) == 0)
        #expect(info.liveCount == total)
    }

    @Test func locateRandom() throws {
        let dir = TempDir("measure-locate")
        defer { dir.remove() }
        var settings = VolumeSettings()
        settings.durableWrites = false
        let v = try makeVolume(dir, fs: PosixFileSystem(), settings: settings)
        defer { v.close() }
        let count = 100_000
        for start in stride(from: 0, to: count, by: 1000) {
            try v.appendAndWait((start..<(start + 1000)).map { NeedleInput(key: Int64($0), cookie: 7, data: payload(Int64($0), 0, size: 1024)) })
        }
        var x: UInt64 = 12345
        let lookups = 200_000
        var found = 0
        let t0 = now()
        for _ in 0..<lookups {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            let key = Int64((x >> 33) % UInt64(count))
            if let e = try? v.locate(key: key, cookie: 7), e.dataSize == 1024 { found += 1 }
        }
        let elapsed = now() - t0
        print("locate-random: \(Int(Double(lookups) / elapsed)) locates/s (1 thread, hot page cache)")
        #expect(found == lookups)
    }

    @Test func reopenMillionNeedles() throws {
        let dir = TempDir("measure-reopen")
        defer { dir.remove() }
        var settings = VolumeSettings()
        settings.durableWrites = false
        settings.indexBatchRecords = 65536
        var v = try makeVolume(dir, fs: PosixFileSystem(), settings: settings)
        let count = 1_000_000
        for start in stride(from: 0, to: count, by: 5000) {
            try v.appendAndWait((start..<(start + 5000)).map { NeedleInput(key: Int64($0) &* 2654435761, cookie: 1, data: [UInt8(truncatingIfNeeded: $0)]) })
        }
        v.close()
        let t0 = now()
        v = try reopen(dir, fs: PosixFileSystem(), settings: settings)
        let fromIndex = now() - t0
        #expect(v.recoveryReport.indexRecords == count)
        #expect(v.info.liveCount == count)
        let resident = v.info.mapResidentBytes
        v.close()
        try writeFile(dir.file("1_0.idx"), [])
        let t1 = now()
        v = try reopen(dir, fs: PosixFileSystem(), settings: settings)
        let fromBlock = now() - t1
        #expect(v.recoveryReport.tailNeedles == count)
        v.close()
        print("reopen-1m: \(Int(fromIndex * 1000)) ms from the index, \(Int(fromBlock * 1000)) ms from the block alone (tail scan), map \(resident / count) B/needle")
    }
}

/// Runs `body(i)` on `count` dedicated threads and waits for all of them.
func runThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    final class Job: @unchecked Sendable {
        let body: @Sendable (Int) -> Void
        let index: Int
        init(_ body: @escaping @Sendable (Int) -> Void, _ index: Int) { self.body = body; self.index = index }
    }
    var threads: [pthread_t] = []
    for i in 0..<count {
        var t = pthread_t()
        let arg = Unmanaged.passRetained(Job(body, i)).toOpaque()
        let rc = pthread_create(&t, nil, { raw in
            let job = Unmanaged<Job>.fromOpaque(raw!).takeRetainedValue()
            job.body(job.index)
            return nil
        }, arg)
        precondition(rc == 0)
        threads.append(t)
    }
    for t in threads { pthread_join(t, nil) }
}
