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
/// for a cached needle, which then refetches from the directory once). A lookup takes a
/// `ticket` before asking the directory, so an answer that raced an invalidation of its key is
/// not cached (a GET answered before a PUT's commit must not outlive the PUT's 200). Safe to share between
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

    /// A lookup's place among invalidations: taken before the directory is asked, handed to
    /// `insert` with the answer.
    public struct Ticket: Sendable {
        fileprivate let generation: UInt64
    }

    /// The entries, and when each key (hashed into `stampCount` slots) was last invalidated.
    private struct State {
        var list: LRUList<Key, Value>
        var generation: UInt64 = 0
        var stamps = [UInt64](repeating: 0, count: stampCount)
    }

    /// Slots remembering invalidations; keys sharing one only make inserts more cautious.
    private static var stampCount: Int { 4096 }

    /// The most entries kept.
    public let capacity: Int
    /// Nanoseconds an entry stays valid after it was stored.
    public let timeToLive: UInt64
    private let clock: @Sendable () -> UInt64
    private let state: Mutex<State>

    /// A cache of `capacity` entries (at least 1) valid for `timeToLive` nanoseconds.
    ///
    /// - Parameter clock: monotonic nanoseconds; tests pass a manual clock.
    public init(capacity: Int, timeToLive: UInt64, clock: @escaping @Sendable () -> UInt64 = monotonicNanoseconds) {
        self.capacity = max(1, capacity)
        self.timeToLive = timeToLive
        self.clock = clock
        state = Mutex(State(list: LRUList(capacity: max(1, capacity))))
    }

    /// The cached value, if present and fresh; a hit becomes the most recently used entry.
    public func value(bucket: String, filename: String) -> Value? {
        let key = Key(bucket: bucket, filename: filename)
        let now = clock()
        return state.withLock { state -> Value? in
            guard let slot = state.list.slot(of: key) else { return nil }
            guard now < state.list.expiry(at: slot) else {
                state.list.remove(slot)
                return nil
            }
            state.list.touch(slot)
            return state.list.value(at: slot)
        }
    }

    /// The ticket of a lookup starting now.
    public func ticket() -> Ticket { state.withLock { Ticket(generation: $0.generation) } }

    /// Stores `value`, replacing any entry for the key and evicting the least recently used
    /// entry when full. With a `ticket`, nothing is stored when the key was invalidated since
    /// the ticket was taken: the answer may predate a write this proxy already acknowledged.
    /// `timeToLive` (nanoseconds) overrides the cache's own for this entry.
    public func insert(_ value: Value, bucket: String, filename: String, ticket: Ticket? = nil, timeToLive: UInt64? = nil) {
        let key = Key(bucket: bucket, filename: filename)
        let (expiry, overflow) = clock().addingReportingOverflow(timeToLive ?? self.timeToLive)
        state.withLock { state in
            if let ticket, state.stamps[Self.stampSlot(key)] > ticket.generation { return }
            state.list.insert(key, value, expiry: overflow ? UInt64.max : expiry)
        }
    }

    /// Drops the entry for a file, if any, and refuses lookups already in flight for it.
    public func invalidate(bucket: String, filename: String) {
        let key = Key(bucket: bucket, filename: filename)
        state.withLock { state in
            state.generation += 1
            state.stamps[Self.stampSlot(key)] = state.generation
            if let slot = state.list.slot(of: key) { state.list.remove(slot) }
        }
    }

    /// Drops every entry.
    public func removeAll() { state.withLock { $0.list = LRUList(capacity: capacity) } }

    /// The number of entries held, fresh or not yet noticed to be stale.
    public var count: Int { state.withLock { $0.list.count } }

    private static func stampSlot(_ key: Key) -> Int { key.hashValue & (stampCount - 1) }
}

/// Monotonic time in nanoseconds (never steps with the wall clock, so a clock change cannot
/// make entries immortal or expire them all).
public func monotonicNanoseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}
