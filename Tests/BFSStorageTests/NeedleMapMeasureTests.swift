import Foundation
import Testing
@testable import BFSStorage

/// Timing numbers for Bench/storage/needlemap/README.md. Prints, never asserts on time; runs only
/// with BFS_MEASURE set: `BFS_MEASURE=1 swift test -c release --filter NeedleMapMeasure`.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["BFS_MEASURE"] != nil))
struct NeedleMapMeasureTests {
    static let entries = 1_000_000

    /// Nanoseconds per iteration of `body` run `count` times.
    func nanosPerOp(_ count: Int, _ body: (Int) -> Void) -> Double {
        let start = ContinuousClock.now
        for i in 0..<count { body(i) }
        let elapsed = ContinuousClock.now - start
        let nanos = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
        return nanos / Double(count)
    }

    func nanos(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1e9 + Double(d.components.attoseconds) / 1e9
    }

    @Test func measureOneMillion() {
        let seed = NeedleMapTestRandom.printedSeed("measureOneMillion")
        var rng = NeedleMapTestRandom(seed: seed)
        var gen = SnowflakeKeys()
        let keys = (0..<Self.entries).map { _ in gen.next() }
        var shuffled = keys
        shuffled.shuffle(using: &rng)
        let misses = (0..<Self.entries).map { _ in Int64(bitPattern: rng.next() | 1 << 62) }
        let loc = NeedleLocation(offsetUnits: 1, totalSize: 64)

        // Each figure is the best of `rounds` runs: the machine is shared, slower runs are noise.
        let rounds = 3
        var found = 0
        var insertGrowing = Double.infinity, insertPresized = Double.infinity
        var hit = Double.infinity, miss = Double.infinity, chained = Double.infinity
        var chainSum = 0
        var grownBytes = 0.0, presizedBytes = 0.0
        for _ in 0..<rounds {
            var grown = NeedleMap()
            insertGrowing = min(insertGrowing, nanosPerOp(Self.entries) { grown.set(keys[$0], loc) })
            grown.finishRehash()
            grownBytes = Double(grown.residentBytes) / Double(grown.count)
            var presized = NeedleMap(expectedCount: Self.entries)
            insertPresized = min(insertPresized, nanosPerOp(Self.entries) { presized.set(keys[$0], loc) })
            presizedBytes = Double(presized.residentBytes) / Double(presized.count)
            found = 0
            hit = min(hit, nanosPerOp(Self.entries) { if presized.get(shuffled[$0]) != nil { found += 1 } })
            miss = min(miss, nanosPerOp(Self.entries) { if presized.get(misses[$0]) != nil { found += 1 } })
            // Latency: each key depends on the previous result, so lookups cannot overlap.
            // A store request does one lookup, so this is closer to what a request pays.
            var next = 0
            chained = min(chained, nanosPerOp(Self.entries) {
                let offset = Int(presized.get(shuffled[next])?.offsetUnits ?? 0)
                chainSum &+= offset
                next = (next &* 31 &+ offset &+ $0) % Self.entries
            })
        }

        // Per-insert latency while growing from empty: no insert may copy the table, so the slow
        // ones should be page faults, the unmap at the end of a drain, or preemption.
        var timed = NeedleMap()
        var latencies: [Double] = []
        latencies.reserveCapacity(Self.entries)
        var slowAtGrowth = 0
        var worstAtGrowth = 0.0
        for key in keys {
            let capacity = timed.capacity, rehashing = timed.isRehashing
            let start = ContinuousClock.now
            timed.set(key, loc)
            let ns = nanos(ContinuousClock.now - start)
            latencies.append(ns)
            if timed.capacity != capacity || timed.isRehashing != rehashing {
                worstAtGrowth = max(worstAtGrowth, ns)
                if ns > 50_000 { slowAtGrowth += 1 }
            }
        }
        latencies.sort()
        let p999 = latencies[latencies.count * 999 / 1000], p99999 = latencies[latencies.count * 99_999 / 100_000]
        let slow = latencies.count - (latencies.firstIndex { $0 > 50_000 } ?? latencies.count)

        var dict: [Int64: UInt64] = [:]
        var dictInsert = Double.infinity, dictHit = Double.infinity, dictChained = Double.infinity
        var dictFound = 0
        for _ in 0..<rounds {
            dict = [:]
            dictInsert = min(dictInsert, nanosPerOp(Self.entries) { dict[keys[$0]] = UInt64($0) })
            dictFound = 0
            dictHit = min(dictHit, nanosPerOp(Self.entries) { if dict[shuffled[$0]] != nil { dictFound += 1 } })
            var next = 0
            dictChained = min(dictChained, nanosPerOp(Self.entries) {
                let value = Int(truncatingIfNeeded: dict[shuffled[next]] ?? 0) & 1
                chainSum &+= value
                next = (next &* 31 &+ value &+ $0) % Self.entries
            })
        }
        // Dictionary storage: a bucket of key + value (16 B) per capacity slot plus 1 bit per bucket.
        let dictBytes = dict.capacity * 16 + dict.capacity / 8

        print("""
            needle map, \(Self.entries) snowflake keys (seed \(seed), found \(found))
              bytes/needle grown from empty: \(grownBytes)
              bytes/needle presized:         \(presizedBytes)
              insert growing:  \(insertGrowing) ns/op
              insert presized: \(insertPresized) ns/op
              lookup hit:      \(hit) ns/op (random order)
              lookup miss:     \(miss) ns/op
              lookup hit, dependent chain: \(chained) ns/op (latency; checksum \(chainSum))
              single insert while growing: p99.9 \(p999) ns, p99.999 \(p99999) ns, \
            max \(latencies.last! / 1000) µs, \(slow) over 50 µs (\(slowAtGrowth) at a growth or drain end, worst of those events \(worstAtGrowth / 1000) µs)
              Dictionary<Int64, UInt64>: insert \(dictInsert) ns/op, hit \(dictHit) ns/op, \
            dependent chain \(dictChained) ns/op, \
            ~\(Double(dictBytes) / Double(dict.count)) bytes/entry (capacity \(dict.capacity))
            """)
        #expect(found == Self.entries && dictFound == Self.entries)
    }

    /// How long a GET can wait behind a whole-map walk: one full `forEach` (the lock hold of the
    /// old compaction and scrubber walks) against the longest `Volume.mapWalkChunk`-slot chunk
    /// (the hold of `collectMap`).
    @Test func measureWalkHolds() {
        var gen = SnowflakeKeys()
        var map = NeedleMap()
        for _ in 0..<Self.entries { map.set(gen.next(), NeedleLocation(offsetUnits: 1, totalSize: 64)) }
        var seen = 0
        var whole = Double.infinity
        var chunks: [Double] = []
        for _ in 0..<3 {
            let start = ContinuousClock.now
            map.forEach { _, loc in seen &+= Int(loc.totalSize) }
            whole = min(whole, nanos(ContinuousClock.now - start))
        }
        var position: Int? = 0
        while let p = position {
            let start = ContinuousClock.now
            position = map.forEach(from: p, slots: Volume.mapWalkChunk) { _, loc in seen &+= Int(loc.totalSize) }
            chunks.append(nanos(ContinuousClock.now - start))
        }
        chunks.sort()
        print("walk of \(Self.entries) entries: whole map \(Int(whole / 1000)) us under one hold; "
            + "\(chunks.count) chunks of \(Volume.mapWalkChunk) slots: median \(Int(chunks[chunks.count / 2] / 1000)) us, "
            + "p99 \(Int(chunks[chunks.count * 99 / 100] / 1000)) us, max \(Int(chunks.last! / 1000)) us (checksum \(seen))")
        #expect(seen > 0)
    }
}
