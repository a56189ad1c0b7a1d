import BFSTestSupport
@testable import BFSStorage

/// The shared seeded generator, under the name these tests use.
typealias NeedleMapTestRandom = SeededGenerator

/// Snowflake-shaped keys (41-bit millisecond time, 10-bit worker, 12-bit sequence), the keys
/// bfs clients actually send: increasing, with dense low bits.
struct SnowflakeKeys {
    var millis: Int64 = 1_700_000_000_000 - 1_288_834_974_657
    var sequence: Int64 = 0
    let worker: Int64

    init(worker: Int64 = 7) { self.worker = worker }

    mutating func next() -> Int64 {
        sequence += 1
        if sequence == 4096 {
            sequence = 0
            millis += 1
        }
        return millis << 22 | worker << 12 | sequence
    }
}

extension NeedleLocation {
    /// A location derived from a random value; offset 0 (deleted) about one time in eight.
    static func random(using rng: inout NeedleMapTestRandom) -> NeedleLocation {
        let bits = rng.next()
        let offset = bits & 7 == 0 ? 0 : UInt32(truncatingIfNeeded: bits >> 8) | 1
        return NeedleLocation(offsetUnits: offset, totalSize: UInt32(truncatingIfNeeded: bits >> 40))
    }
}
