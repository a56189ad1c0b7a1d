import BFSCore
import BFSStorage
import Glibc

/// Per thread (in practice per loop): the store's open volumes and this loop's shares of their
/// `/info` counters (and of the store's), so a request finds both with one atomic load
/// (`StoreVolumes.generation`) and a dictionary lookup, instead of taking the volume table's
/// lock and the per-volume counter table's lock each time, and counts without locked atomics.
///
/// The cache lives in thread-local storage and is rebuilt (both locks taken once) when the
/// generation moves, i.e. after a volume was added or bulk-loaded, or when the thread serves
/// another store (tests run several in one process).
final class LoopVolumeCache {
    /// One open volume and this loop's shares of its counters and of the store's.
    struct Entry: Sendable {
        let volume: Volume
        /// This loop's share of the volume's `/info` counters.
        let stats: RequestStatsShard
        /// This loop's share of the store-wide `/info` counters.
        let storeStats: RequestStatsShard
    }

    /// The store the entries belong to (weak: a later store at the same address is not it).
    private weak var store: StoreContext?
    private var generation = -1
    private var entries: [VolumeID: Entry] = [:]
    /// This thread's shards, by the counters they belong to; kept across rebuilds (a new shard
    /// per rebuild would only grow the lists `/info` sums).
    private var shards: [ObjectIdentifier: RequestStatsShard] = [:]

    /// The thread-local slot; its destructor releases a thread's cache when the thread exits.
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let rc = pthread_key_create(&key) { raw in
            if let raw { Unmanaged<LoopVolumeCache>.fromOpaque(raw).release() }
        }
        precondition(rc == 0, "pthread_key_create failed: \(rc)")
        return key
    }()

    /// Volume `vid` of `context` and its counters, nil if it is not open.
    static func entry(_ vid: VolumeID, in context: StoreContext) -> Entry? {
        current.entry(vid, in: context)
    }

    private static var current: LoopVolumeCache {
        if let raw = pthread_getspecific(key) { return Unmanaged<LoopVolumeCache>.fromOpaque(raw).takeUnretainedValue() }
        let cache = LoopVolumeCache()
        pthread_setspecific(key, Unmanaged.passRetained(cache).toOpaque())
        return cache
    }

    private func entry(_ vid: VolumeID, in context: StoreContext) -> Entry? {
        let now = context.volumes.generation
        if now != generation || store !== context {
            // Read before the snapshot: a change in between shows as a newer generation next time.
            if store !== context { shards = [:] }
            let storeStats = shard(of: context.stats)
            var fresh: [VolumeID: Entry] = [:]
            for (id, volume) in context.volumes.openVolumes {
                fresh[id] = Entry(volume: volume, stats: shard(of: context.stats(of: id)), storeStats: storeStats)
            }
            entries = fresh
            generation = now
            store = context
        }
        return entries[vid]
    }

    /// This thread's shard of `stats`, made on first use.
    private func shard(of stats: RequestStats) -> RequestStatsShard {
        if let s = shards[ObjectIdentifier(stats)] { return s }
        let s = stats.shard()
        shards[ObjectIdentifier(stats)] = s
        return s
    }
}
