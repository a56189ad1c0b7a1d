import Testing
@testable import BFSStorage

@Suite struct NeedleMapTests {
    /// Keys the tables cannot store in a slot (sentinels) or that sit at edges of the key space.
    static let edgeKeys: [Int64] = [0, .min, .min + 1, .max, -1, 1]

    /// Runs `operations` random operations against the map and a `Dictionary` model, comparing
    /// every return value, and the full contents at checkpoints.
    func runModel(seed: UInt64, operations: Int, migrationStep: Int, expectedCount: Int = 0) {
        var rng = NeedleMapTestRandom(seed: seed)
        var map = NeedleMap(expectedCount: expectedCount, migrationStep: migrationStep)
        var model: [Int64: NeedleLocation] = [:]
        var seen: [Int64] = []
        var growths = 0, growthsMidRehash = 0
        var mismatches = 0

        func pickKey() -> Int64 {
            let r = rng.next() % 100
            if r < 2 { return Self.edgeKeys[Int(rng.next() % UInt64(Self.edgeKeys.count))] }
            if r < 45, !seen.isEmpty { return seen[Int(rng.next() % UInt64(seen.count))] }
            let key = Int64(bitPattern: rng.next())
            seen.append(key)
            return key
        }

        for step in 0..<operations {
            let key = pickKey()
            let capacityBefore = map.capacity
            let wasRehashing = map.isRehashing
            switch rng.next() % 100 {
            case 0..<50:
                let loc = NeedleLocation.random(using: &rng)
                let got = map.set(key, loc)
                let want = model.updateValue(loc, forKey: key)
                if got != want { mismatches += 1 }
            case 50..<70:
                if map.get(key) != model[key] { mismatches += 1 }
            case 70..<82:
                let got = map.markDeleted(key)
                let want = model[key]
                if let want { model[key] = NeedleLocation(offsetUnits: 0, totalSize: want.totalSize) }
                if got != want { mismatches += 1 }
            default:
                if map.remove(key) != model.removeValue(forKey: key) { mismatches += 1 }
            }
            if map.capacity != capacityBefore {
                growths += 1
                if wasRehashing { growthsMidRehash += 1 }
            }
            if mismatches > 0 {
                Issue.record("seed \(seed): first mismatch at operation \(step), key \(key)")
                return
            }
            if step % 100_000 == 0 || step == operations - 1 {
                #expect(map.count == model.count, "seed \(seed) at \(step)")
                #expect(map.liveCount == model.values.filter { !$0.isDeleted }.count, "seed \(seed)")
                var visited = 0
                map.forEach { key, loc in
                    visited += 1
                    if model[key] != loc { mismatches += 1 }
                }
                #expect(visited == model.count && mismatches == 0, "seed \(seed) at \(step)")
            }
        }
        for key in Self.edgeKeys { #expect(map.get(key) == model[key], "seed \(seed), key \(key)") }
        print("model run: \(operations) ops, step \(migrationStep), \(model.count) entries, "
            + "\(growths) growths, \(growthsMidRehash) mid-rehash")
        #expect(growths > 5, "the run must cross several growths to test them")
        if migrationStep == 1 { #expect(growthsMidRehash > 0, "step 1 must grow mid-rehash") }
    }

    @Test func matchesDictionaryAcrossGrowth() {
        runModel(seed: NeedleMapTestRandom.printedSeed("matchesDictionaryAcrossGrowth"),
                 operations: 2_000_000, migrationStep: NeedleMap.defaultMigrationStep)
    }

    @Test func matchesDictionaryWhenGrowingMidRehash() {
        runModel(seed: NeedleMapTestRandom.printedSeed("matchesDictionaryWhenGrowingMidRehash"),
                 operations: 1_000_000, migrationStep: 1)
    }

    @Test func sentinelKeysLiveInSideSlots() {
        var map = NeedleMap()
        let a = NeedleLocation(offsetUnits: 5, totalSize: 40)
        let b = NeedleLocation(offsetUnits: 9, totalSize: 48)
        #expect(map.get(0) == nil)
        #expect(map.set(0, a) == nil)
        #expect(map.set(.min, b) == nil)
        #expect(map.get(0) == a && map.get(.min) == b && map.count == 2 && map.liveCount == 2)
        #expect(map.markDeleted(0) == a)
        #expect(map.get(0) == NeedleLocation(offsetUnits: 0, totalSize: 40) && map.liveCount == 1)
        #expect(map.remove(.min) == b && map.get(.min) == nil && map.count == 1 && map.liveCount == 0)
        #expect(map.markDeleted(.min) == nil && map.count == 1)
    }

    @Test func markDeletedKeepsSizeAndIgnoresAbsentKeys() {
        var map = NeedleMap()
        map.set(42, NeedleLocation(offsetUnits: 3, totalSize: 1024))
        #expect(map.markDeleted(43) == nil && map.count == 1)
        #expect(map.markDeleted(42) == NeedleLocation(offsetUnits: 3, totalSize: 1024))
        let deleted = map.get(42)
        #expect(deleted?.isDeleted == true && deleted?.totalSize == 1024)
        #expect(map.count == 1 && map.liveCount == 0)
    }

    @Test func forEachVisitsEachEntryOnceDuringRehash() {
        let seed = NeedleMapTestRandom.printedSeed("forEachVisitsEachEntryOnceDuringRehash")
        var rng = NeedleMapTestRandom(seed: seed)
        var map = NeedleMap(expectedCount: 0, migrationStep: 1)
        var model: [Int64: NeedleLocation] = [:]
        var inserted: [Int64] = []
        var checkedMidRehash = 0
        for i in 0..<200_000 {
            let key = Int64(bitPattern: rng.next())
            let loc = NeedleLocation.random(using: &rng)
            map.set(key, loc)
            model[key] = loc
            inserted.append(key)
            if i % 3 == 0 {
                // Removes a random earlier key (maybe already gone) so runs shift back mid-rehash.
                let victim = inserted[Int(rng.next() % UInt64(inserted.count))]
                #expect(map.remove(victim) == model.removeValue(forKey: victim))
            }
            if map.isRehashing && i % 2_003 == 0 {
                checkedMidRehash += 1
                var visits: [Int64: Int] = [:]
                map.forEach { key, loc in
                    visits[key, default: 0] += 1
                    #expect(model[key] == loc, "seed \(seed)")
                }
                #expect(visits.count == model.count && visits.values.allSatisfy { $0 == 1 }, "seed \(seed)")
            }
        }
        #expect(checkedMidRehash > 10)
    }

    @Test func finishRehashReleasesOldTable() {
        var map = NeedleMap(expectedCount: 0, migrationStep: 1)
        var keys = SnowflakeKeys()
        var inserted: [Int64] = []
        while !map.isRehashing {
            let key = keys.next()
            inserted.append(key)
            map.set(key, NeedleLocation(offsetUnits: UInt32(inserted.count), totalSize: 8))
        }
        let during = map.residentBytes
        map.finishRehash()
        #expect(!map.isRehashing && map.residentBytes < during)
        for (i, key) in inserted.enumerated() {
            #expect(map.get(key) == NeedleLocation(offsetUnits: UInt32(i + 1), totalSize: 8))
        }
    }
}
