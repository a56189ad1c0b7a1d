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
    /// Bytes of names kept at most: unknown names come from the public, and one may be almost
    /// as long as a request head (16 KiB), so the count alone would let 10,000 of them hold
    /// 160 MiB.
    static let maxNameBytes = 1 << 20

    private struct Table {
        var entries: [String: Entry] = [:]
        var nameBytes = 0

        mutating func remove(_ name: String) {
            if entries.removeValue(forKey: name) != nil { nameBytes -= name.utf8.count }
        }
    }

    private let timeToLive: UInt64
    private let clock: @Sendable () -> UInt64
    private let table = Mutex(Table())

    init(timeToLive: Duration, clock: @escaping @Sendable () -> UInt64 = monotonicNanoseconds) {
        let (seconds, attoseconds) = timeToLive.components
        self.timeToLive = UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
        self.clock = clock
    }

    /// The cached answer for `name`: `.some(nil)` for a bucket known not to exist, nil on a miss.
    func value(_ name: String) -> Bucket?? {
        let now = clock()
        return table.withLock { table -> Bucket?? in
            guard let entry = table.entries[name] else { return nil }
            guard now < entry.expiry else {
                table.remove(name)
                return nil
            }
            return .some(entry.bucket)
        }
    }

    /// Bytes of the names held (what `maxNameBytes` bounds).
    var nameBytes: Int { table.withLock { $0.nameBytes } }

    /// Remembers the directory's answer for `name`; past either bound the table is cleared first.
    func insert(_ bucket: Bucket?, for name: String) {
        let expiry = clock() &+ timeToLive
        table.withLock { table in
            table.remove(name)
            if table.entries.count >= Self.capacity || table.nameBytes + name.utf8.count > Self.maxNameBytes {
                table = Table()
            }
            // A name over the byte bound alone is not kept at all.
            guard name.utf8.count <= Self.maxNameBytes else { return }
            table.entries[name] = Entry(bucket: bucket, expiry: expiry)
            table.nameBytes += name.utf8.count
        }
    }
}
