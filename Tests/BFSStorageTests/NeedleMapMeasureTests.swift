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
        let seed = NeedleMapTestRandom.freshSeed("measureOneMillion")
        var rng = NeedleMapTestRandom(seed: seed)
        var gen = SnowflakeKeys()
        let keys = (0..<Self.entries).map { _ in gen.next() }
        var shuffled = keys
        shuffled.shuffle(using: &rng)
        let misses = (0..<Self.entries).map { _ in Int64(bitPattern: rng.next() | 1 << 62) }
        let loc = NeedleLocation(offsetUnits: 1, totalSize: 64)

        var grown = NeedleMap()
        let insertGrowing = nanosPerOp(Self.entries) { grown.set(keys[$0], loc) }
        var presized = NeedleMap(expectedCount: Self.entries)
        let insertPresized = nanosPerOp(Self.entries) { presized.set(keys[$0], loc) }
        var found = 0
        let hit = nanosPerOp(Self.entries) { if presized.get(shuffled[$0]) != nil { found += 1 } }
        let miss = nanosPerOp(Self.entries) { if presized.get(misses[$0]) != nil { found += 1 } }
        grown.finishRehash()

        // Longest single insert while growing from empty: shows no insert copies the table.
        var timed = NeedleMap()
        var worst = Duration.zero
        for key in keys {
            let start = ContinuousClock.now
            timed.set(key, loc)
            worst = max(worst, ContinuousClock.now - start)
        }

        var dict: [Int64: UInt64] = [:]
        let dictInsert = nanosPerOp(Self.entries) { dict[keys[$0]] = UInt64($0) }
        let dictHit = nanosPerOp(Self.entries) { if dict[shuffled[$0]] != nil { found += 1 } }
        // Dictionary storage: a bucket of key + value (16 B) per capacity slot plus 1 bit per bucket.
        let dictBytes = dict.capacity * 16 + dict.capacity / 8

        print("""
            needle map, \(Self.entries) snowflake keys (seed \(seed), found \(found))
              bytes/needle grown from empty: \(Double(grown.residentBytes) / Double(grown.count))
              bytes/needle presized:         \(Double(presized.residentBytes) / Double(presized.count))
              insert growing:  \(insertGrowing) ns/op
              insert presized: \(insertPresized) ns/op
              lookup hit:      \(hit) ns/op (random order)
              lookup miss:     \(miss) ns/op
              worst single insert while growing: \(nanos(worst) / 1000) µs
              Dictionary<Int64, UInt64>: insert \(dictInsert) ns/op, hit \(dictHit) ns/op, \
            ~\(Double(dictBytes) / Double(dict.count)) bytes/entry (capacity \(dict.capacity))
            """)
        #expect(found == 2 * Self.entries)
    }
}
