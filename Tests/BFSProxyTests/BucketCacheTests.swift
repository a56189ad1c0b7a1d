import BFSMetadata
import Testing
@testable import BFSProxy

/// The bucket cache: TTL, negative entries, and its bounds against clients naming random buckets.
@Suite struct BucketCacheTests {
    static let bucket = Bucket(name: "b", flags: .publicRead, keyID: "k", secret: "s", domain: "", cachePolicy: "")

    @Test func entriesLiveForTheTTLAndUnknownBucketsAreRemembered() {
        let clock = ManualClock()
        let cache = BucketCache(timeToLive: .nanoseconds(100), clock: { clock.now() })
        #expect(cache.value("b") == nil)
        cache.insert(Self.bucket, for: "b")
        cache.insert(nil, for: "missing")
        #expect(cache.value("b") == .some(Self.bucket))
        #expect(cache.value("missing") == .some(nil))
        clock.advance(100)
        #expect(cache.value("b") == nil && cache.value("missing") == nil)
    }

    /// Unknown names come from the public: long ones must not let a client fill memory with
    /// entries of many kilobytes each (a request head may be 16 KiB).
    @Test func memoryIsBoundedByNameBytesNotOnlyByCount() {
        let cache = BucketCache(timeToLive: .seconds(60))
        for i in 0..<2_000 {
            cache.insert(nil, for: String(repeating: "x", count: 8_000) + String(i))
        }
        #expect(cache.nameBytes <= BucketCache.maxNameBytes)
        cache.insert(Self.bucket, for: "b")
        #expect(cache.value("b") == .some(Self.bucket))
    }
}
