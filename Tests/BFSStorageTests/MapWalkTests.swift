import BFSTestSupport
import Dispatch
import Synchronization
import Testing
@testable import BFSStorage

/// Whole-map walks in chunks: exact while the layout holds, and reads run between chunks.
@Suite struct MapWalkTests {
    /// Walks `map` in chunks of `chunk` positions, calling `between` after each chunk.
    func chunkedVisits(_ map: inout NeedleMap, chunk: Int, between: (inout NeedleMap) -> Void) -> [Int64: Int] {
        var visits: [Int64: Int] = [:]
        var position: Int? = 0
        while let p = position {
            position = map.forEach(from: p, slots: chunk) { key, _ in visits[key, default: 0] += 1 }
            between(&map)
        }
        return visits
    }

    /// Mid-rehash, with side-slot keys, and with deletes marked between chunks (in place, so the
    /// layout version stays): every entry is seen exactly once.
    @Test func chunkedWalkSeesEachEntryOnceWhileLayoutHolds() {
        let seed = NeedleMapTestRandom.printedSeed("chunkedWalkSeesEachEntryOnceWhileLayoutHolds")
        var rng = NeedleMapTestRandom(seed: seed)
        var map = NeedleMap(expectedCount: 0, migrationStep: 1)
        var keys: [Int64] = [0, .min]
        for _ in 0..<50_000 { keys.append(Int64(bitPattern: rng.next() | 1)) }
        for k in keys { map.set(k, NeedleLocation(offsetUnits: 9, totalSize: 16)) }
        let rehashing = map.isRehashing
        #expect(rehashing, "seed \(seed): the walk must cross both tables")
        let version = map.layoutVersion
        var victims = keys.shuffled(using: &rng).makeIterator()
        let visits = chunkedVisits(&map, chunk: 97) { m in
            if let k = victims.next() { m.markDeleted(k) }
        }
        let after = map.layoutVersion
        #expect(after == version, "seed \(seed)")
        #expect(visits.count == Set(keys).count && visits.values.allSatisfy { $0 == 1 }, "seed \(seed)")
        map.set(Int64(bitPattern: rng.next() | 1), NeedleLocation(offsetUnits: 9, totalSize: 16))
        let afterInsert = map.layoutVersion
        #expect(afterInsert != version, "an insert may move entries")
    }

    /// GETs need the state lock; a walk of the map must give it up between chunks.
    @Test func volumeWalkReleasesTheLockBetweenChunks() throws {
        let dir = TempDir("walk-lock")
        defer { dir.remove() }
        let v = try makeVolume(dir, fs: PosixFileSystem())
        defer { v.close() }
        for batch in 0..<10 {
            try v.appendAndWait((0..<500).map { i in NeedleInput(key: Int64(batch * 500 + i + 1), cookie: 1, data: [1]) })
        }
        var chunks = 0, lockFree = 0
        var readsDone = 0
        let keys = v.collectMap(exact: true, chunk: 256, betweenChunks: {
            chunks += 1
            if v.shared.withLockIfAvailable({ _ in true }) == true { lockFree += 1 }
            if chunks % 8 == 0 {
                let done = Gate()
                DispatchQueue.global().async {
                    _ = v.readOutcome(key: 1, cookie: 1)
                    done.open()
                }
                if done.wait(seconds: 5) { readsDone += 1 }
            }
        }) { key, _ in key }
        #expect(chunks > 10)
        #expect(lockFree == chunks)
        #expect(readsDone == chunks / 8)
        #expect(keys.count == 5000 && Set(keys) == Set(1...5000))
    }

    /// Appends between the chunks move entries; an exact walk then falls back to one pass under
    /// the lock and still sees every entry once.
    @Test func exactWalkStaysExactWhenInsertsMoveEntries() throws {
        let dir = TempDir("walk-exact")
        defer { dir.remove() }
        let v = try makeVolume(dir, fs: PosixFileSystem())
        defer { v.close() }
        try v.appendAndWait((1...3000).map { NeedleInput(key: Int64($0), cookie: 1, data: [1]) })
        var next: Int64 = 3001
        let keys = v.collectMap(exact: true, chunk: 128, betweenChunks: {
            try? v.appendAndWait(key: next, cookie: 1, data: [2])
            next += 1
        }) { key, _ in key }
        #expect(keys.count == Set(keys).count, "an entry was seen twice")
        let missed = Set(1..<next).subtracting(keys)
        #expect(missed.isEmpty, "\(missed.count) entries were missed")
    }
}
