import Testing
@testable import BFSStorage

/// Memory use is deterministic (capacity arithmetic, no timing), so the §4.4 budget is asserted.
@Suite struct NeedleMapMemoryTests {
    /// DESIGN.md §4.4: at most 24 resident bytes per needle at steady state.
    static let budgetBytesPerNeedle = 24.0
    /// Below this many entries the one-page minimum table dominates; the budget is about volumes.
    static let budgetFloorCount = 4096

    @Test func growingMapStaysWithinBudgetWhenNotRehashing() {
        var map = NeedleMap()
        var keys = SnowflakeKeys()
        var worstSteady = 0.0, worstRehashing = 0.0
        var steadySamples = 0
        let reportAt: Set<Int> = [1_000, 10_000, 100_000, 1_000_000]
        for n in 1...1_200_000 {
            map.set(keys.next(), NeedleLocation(offsetUnits: UInt32(n), totalSize: 4096))
            let perNeedle = Double(map.residentBytes) / Double(map.count)
            if n >= Self.budgetFloorCount {
                if map.isRehashing {
                    worstRehashing = max(worstRehashing, perNeedle)
                } else {
                    worstSteady = max(worstSteady, perNeedle)
                    steadySamples += 1
                }
            }
            if reportAt.contains(n) {
                print("needle map at \(n) entries: \(map.residentBytes) bytes, "
                    + "\(perNeedle) bytes/needle, rehashing \(map.isRehashing)")
            }
        }
        print("worst bytes/needle ≥ \(Self.budgetFloorCount) entries: steady \(worstSteady), "
            + "during rehash \(worstRehashing)")
        #expect(steadySamples > 900_000, "most of the run is outside a rehash")
        #expect(worstSteady <= Self.budgetBytesPerNeedle)
        // Both tables: 16 B × (C + 1.25 C) over 0.85 C entries ≈ 42.4 B.
        #expect(worstRehashing <= 43)
    }

    @Test func oneMillionEntriesAfterRehashFitTheBudget() {
        var map = NeedleMap()
        var keys = SnowflakeKeys()
        for n in 1...1_000_000 { map.set(keys.next(), NeedleLocation(offsetUnits: UInt32(n), totalSize: 64)) }
        map.finishRehash()
        let perNeedle = Double(map.residentBytes) / Double(map.count)
        print("1 M entries grown from empty: \(perNeedle) bytes/needle, load "
            + "\(Double(map.count) / Double(map.capacity))")
        #expect(perNeedle <= Self.budgetBytesPerNeedle)
    }

    @Test func presizedMapHoldsTwentyBytesPerNeedle() {
        var map = NeedleMap(expectedCount: 1_000_000)
        let capacity = map.capacity
        var keys = SnowflakeKeys()
        for n in 1...1_000_000 { map.set(keys.next(), NeedleLocation(offsetUnits: UInt32(n), totalSize: 64)) }
        let perNeedle = Double(map.residentBytes) / Double(map.count)
        print("1 M entries presized: \(perNeedle) bytes/needle")
        #expect(map.capacity == capacity, "presized map must not grow")
        #expect(perNeedle <= 20.01)
    }
}
