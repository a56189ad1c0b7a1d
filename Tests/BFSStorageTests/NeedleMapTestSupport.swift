@testable import BFSStorage

/// SplitMix64: a tiny seeded generator so a failing run can be replayed from its printed seed.
struct NeedleMapTestRandom: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A seed from the system generator, printed so the run can be repeated.
    static func freshSeed(_ label: String) -> UInt64 {
        let seed = UInt64.random(in: 0...UInt64.max)
        print("\(label) seed: \(seed)")
        return seed
    }
}

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
