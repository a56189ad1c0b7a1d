/// SplitMix64: a tiny deterministic generator for randomized tests, so a failing run can be
/// replayed from the seed it printed.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    /// The running state (SplitMix64 adds the golden ratio per step).
    public var state: UInt64

    /// A generator starting at `seed`.
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A fresh seed from the system generator, printed with `label` so the run can be repeated.
    public static func printedSeed(_ label: String) -> UInt64 {
        let seed = UInt64.random(in: 0...UInt64.max)
        print("\(label) seed: \(seed)")
        return seed
    }
}

extension SeededGenerator {
    /// The next `count` bytes of the stream.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(count + 8)
        while out.count < count { withUnsafeBytes(of: next()) { out.append(contentsOf: $0) } }
        return Array(out.prefix(count))
    }
}
