import BFSTestSupport
import Dispatch
import Synchronization
import Testing
@testable import BFSProxy

/// A clock tests move by hand.
final class ManualClock: Sendable {
    private let nanoseconds = Atomic<UInt64>(0)
    func now() -> UInt64 { nanoseconds.load(ordering: .relaxed) }
    func advance(_ delta: UInt64) { nanoseconds.add(delta, ordering: .relaxed) }
}

@Suite struct MetadataCacheTests {
    func makeCache(capacity: Int = 3, ttl: UInt64 = 100) -> (MetadataCache<Int>, ManualClock) {
        let clock = ManualClock()
        return (MetadataCache<Int>(capacity: capacity, timeToLive: ttl, clock: { clock.now() }), clock)
    }

    @Test func hitMissAndReplace() {
        let (cache, _) = makeCache()
        #expect(cache.value(bucket: "b", filename: "x") == nil)
        cache.insert(1, bucket: "b", filename: "x")
        cache.insert(2, bucket: "c", filename: "x")
        #expect(cache.value(bucket: "b", filename: "x") == 1)
        #expect(cache.value(bucket: "c", filename: "x") == 2)
        cache.insert(3, bucket: "b", filename: "x")
        #expect(cache.value(bucket: "b", filename: "x") == 3)
        #expect(cache.count == 2)
    }

    @Test func entriesExpireAfterTheTTLAndReplacingRenewsIt() {
        let (cache, clock) = makeCache(ttl: 100)
        cache.insert(1, bucket: "b", filename: "x")
        clock.advance(99)
        #expect(cache.value(bucket: "b", filename: "x") == 1)
        cache.insert(2, bucket: "b", filename: "y")
        clock.advance(1)
        #expect(cache.value(bucket: "b", filename: "x") == nil)
        #expect(cache.count == 1)
        #expect(cache.value(bucket: "b", filename: "y") == 2)
        cache.insert(3, bucket: "b", filename: "y")
        clock.advance(99)
        #expect(cache.value(bucket: "b", filename: "y") == 3)
    }

    @Test func anAnswerThatRacedAnInvalidationIsNotStored() {
        let (cache, _) = makeCache()
        let before = cache.ticket()
        cache.invalidate(bucket: "b", filename: "x")
        cache.insert(1, bucket: "b", filename: "x", ticket: before)
        #expect(cache.value(bucket: "b", filename: "x") == nil)
        // A lookup that began after the invalidation is stored.
        cache.insert(3, bucket: "b", filename: "x", ticket: cache.ticket())
        #expect(cache.value(bucket: "b", filename: "x") == 3)
    }

    @Test func evictsTheLeastRecentlyUsed() {
        let (cache, _) = makeCache(capacity: 3)
        cache.insert(1, bucket: "b", filename: "1")
        cache.insert(2, bucket: "b", filename: "2")
        cache.insert(3, bucket: "b", filename: "3")
        #expect(cache.value(bucket: "b", filename: "1") == 1)
        cache.insert(4, bucket: "b", filename: "4")
        #expect(cache.value(bucket: "b", filename: "2") == nil)
        #expect(cache.value(bucket: "b", filename: "1") == 1)
        #expect(cache.value(bucket: "b", filename: "3") == 3)
        #expect(cache.value(bucket: "b", filename: "4") == 4)
        #expect(cache.count == 3)
    }

    @Test func invalidateAndRemoveAll() {
        let (cache, _) = makeCache()
        cache.insert(1, bucket: "b", filename: "x")
        cache.insert(2, bucket: "b", filename: "y")
        cache.invalidate(bucket: "b", filename: "x")
        cache.invalidate(bucket: "b", filename: "absent")
        #expect(cache.value(bucket: "b", filename: "x") == nil)
        #expect(cache.value(bucket: "b", filename: "y") == 2)
        cache.removeAll()
        #expect(cache.count == 0)
        #expect(cache.value(bucket: "b", filename: "y") == nil)
        cache.insert(5, bucket: "b", filename: "y")
        #expect(cache.value(bucket: "b", filename: "y") == 5)
    }

    /// Random operations against a plain array model of an LRU with TTL; any divergence in a
    /// lookup or the size is a bug in the linked slots.
    @Test func matchesAReferenceModel() {
        let seed = SeededGenerator.printedSeed("MetadataCacheTests.matchesAReferenceModel")
        var random = SeededGenerator(seed: seed)
        let (cache, clock) = makeCache(capacity: 8, ttl: 50)
        var model: [(key: String, value: Int, expiry: UInt64)] = []
        for step in 0..<20_000 {
            let key = String(random.next() % 20)
            switch random.next() % 10 {
            case 0...3:
                let value = step
                model.removeAll { $0.key == key }
                if model.count == 8 { model.removeLast() }
                model.insert((key, value, clock.now() + 50), at: 0)
                cache.insert(value, bucket: "b", filename: key)
            case 4...7:
                var expected: Int?
                if let index = model.firstIndex(where: { $0.key == key }) {
                    let entry = model.remove(at: index)
                    if clock.now() < entry.expiry {
                        expected = entry.value
                        model.insert(entry, at: 0)
                    }
                }
                let actual = cache.value(bucket: "b", filename: key)
                guard actual == expected else {
                    Issue.record("seed \(seed) step \(step): \(key) gave \(String(describing: actual)), want \(String(describing: expected))")
                    return
                }
            case 8:
                model.removeAll { $0.key == key }
                cache.invalidate(bucket: "b", filename: key)
            default:
                clock.advance(random.next() % 10)
            }
            guard cache.count == model.count else {
                Issue.record("seed \(seed) step \(step): count \(cache.count), want \(model.count)")
                return
            }
        }
    }

    /// Many threads at once: nothing is lost or torn, and the bound holds.
    @Test func concurrentUseKeepsTheBound() {
        let cache = MetadataCache<Int>(capacity: 64, timeToLive: 60_000_000_000)
        let mismatches = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for i in 0..<5_000 {
                let name = "\(worker)/\(i % 100)"
                cache.insert(i, bucket: "b", filename: name)
                if let value = cache.value(bucket: "b", filename: name), value != i {
                    mismatches.add(1, ordering: .relaxed)
                }
                if i % 7 == 0 { cache.invalidate(bucket: "b", filename: name) }
            }
        }
        #expect(mismatches.load(ordering: .relaxed) == 0)
        #expect(cache.count <= 64)
        cache.insert(-1, bucket: "b", filename: "last")
        #expect(cache.value(bucket: "b", filename: "last") == -1)
    }

    @Test func monotonicClockAdvances() {
        let a = monotonicNanoseconds()
        let b = monotonicNanoseconds()
        #expect(b >= a && a > 0)
    }
}
