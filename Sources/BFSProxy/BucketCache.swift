import BFSMetadata
import Synchronization

/// Buckets the proxy looked up, each trusted for a short TTL (settings `cache.bucket_ttl`), so
/// a rotated key or a changed flag takes effect within seconds without a directory call per
/// request. Unknown buckets are cached too (as nil), so a flood of requests for a missing
/// bucket costs one directory call per TTL.
final class BucketCache: Sendable {
    private struct Entry {
        var bucket: Bucket?
        var expiry: UInt64
    }

    /// Entries kept at most; past it the table is cleared (buckets are few; this only bounds
    /// what a client naming random buckets can make us hold).
    static let capacity = 10_000

    private let timeToLive: UInt64
    private let clock: @Sendable () -> UInt64
    private let entries = Mutex<[String: Entry]>([:])

    init(timeToLive: Duration, clock: @escaping @Sendable () -> UInt64 = monotonicNanoseconds) {
        let (seconds, attoseconds) = timeToLive.components
        self.timeToLive = UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
        self.clock = clock
    }

    /// The cached answer for `name`: `.some(nil)` for a bucket known not to exist, nil on a miss.
    func value(_ name: String) -> Bucket?? {
        let now = clock()
        return entries.withLock { table -> Bucket?? in
            guard let entry = table[name] else { return nil }
            guard now < entry.expiry else {
                table[name] = nil
                return nil
            }
            return .some(entry.bucket)
        }
    }

    /// Remembers the directory's answer for `name`.
    func insert(_ bucket: Bucket?, for name: String) {
        let expiry = clock() &+ timeToLive
        entries.withLock { table in
            if table.count >= Self.capacity { table.removeAll() }
            table[name] = Entry(bucket: bucket, expiry: expiry)
        }
    }
}
