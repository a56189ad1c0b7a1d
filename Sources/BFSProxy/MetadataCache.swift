import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An in-process cache of directory lookups keyed by bucket and filename (DESIGN §7): at most
/// `capacity` entries, least recently used evicted first, each good for `timeToLive`.
///
/// The TTL bounds how long an overwrite or delete made through another proxy can go unseen;
/// `invalidate` lets the proxy drop an entry early (its own writes, or a store answering 404
/// for a cached needle, which then refetches from the directory once). Safe to share between
/// loop threads: one short critical section per call, no allocation on a hit.
public final class MetadataCache<Value: Sendable>: Sendable {
    /// The cache key: a bucket and a filename in it.
    public struct Key: Hashable, Sendable {
        /// The bucket name.
        public var bucket: String
        /// The filename inside the bucket.
        public var filename: String

        /// A key.
        public init(bucket: String, filename: String) {
            self.bucket = bucket
            self.filename = filename
        }
    }

    /// The most entries kept.
    public let capacity: Int
    /// Nanoseconds an entry stays valid after it was stored.
    public let timeToLive: UInt64
    private let clock: @Sendable () -> UInt64
    private let state: Mutex<LRUList<Key, Value>>

    /// A cache of `capacity` entries (at least 1) valid for `timeToLive` nanoseconds.
    ///
    /// - Parameter clock: monotonic nanoseconds; tests pass a manual clock.
    public init(capacity: Int, timeToLive: UInt64, clock: @escaping @Sendable () -> UInt64 = monotonicNanoseconds) {
        self.capacity = max(1, capacity)
        self.timeToLive = timeToLive
        self.clock = clock
        state = Mutex(LRUList(capacity: max(1, capacity)))
    }

    /// The cached value, if present and fresh; a hit becomes the most recently used entry.
    public func value(bucket: String, filename: String) -> Value? {
        let key = Key(bucket: bucket, filename: filename)
        let now = clock()
        return state.withLock { list -> Value? in
            guard let slot = list.slot(of: key) else { return nil }
            guard now < list.expiry(at: slot) else {
                list.remove(slot)
                return nil
            }
            list.touch(slot)
            return list.value(at: slot)
        }
    }

    /// Stores `value`, replacing any entry for the key and evicting the least recently used
    /// entry when full.
    public func insert(_ value: Value, bucket: String, filename: String) {
        let key = Key(bucket: bucket, filename: filename)
        let (expiry, overflow) = clock().addingReportingOverflow(timeToLive)
        state.withLock { $0.insert(key, value, expiry: overflow ? UInt64.max : expiry) }
    }

    /// Drops the entry for a file, if any.
    public func invalidate(bucket: String, filename: String) {
        let key = Key(bucket: bucket, filename: filename)
        state.withLock { list in
            if let slot = list.slot(of: key) { list.remove(slot) }
        }
    }

    /// Drops every entry.
    public func removeAll() { state.withLock { $0 = LRUList(capacity: capacity) } }

    /// The number of entries held, fresh or not yet noticed to be stale.
    public var count: Int { state.withLock { $0.count } }
}

/// Monotonic time in nanoseconds (never steps with the wall clock, so a clock change cannot
/// make entries immortal or expire them all).
public func monotonicNanoseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}
