import BFSCore
import BFSStorage
import Glibc
import Synchronization

/// What every store handler shares: the volumes, settings, limits, stats and the hooks that tell
/// coordination about volume changes. One per store process, used from every loop thread.
public final class StoreContext: Sendable {
    /// The store's settings.
    public let settings: StoreSettings
    /// The volumes (active, free, failed). Its methods that touch disk must run off the loops.
    public let volumes: StoreVolumes
    /// Prometheus metrics.
    public let metrics: StoreMetrics
    /// Store-wide counters for `/info`'s `server.stats`.
    public let stats = RequestStats()
    /// Told about volumes added or moved, so coordination matches the disk (see `StoreEvents`).
    public let events: any StoreEvents
    /// Rate limits (nil = unlimited).
    public let readLimit: TokenBucket?, writeLimit: TokenBucket?, deleteLimit: TokenBucket?
    /// When the store started, in Unix seconds (for `/info`'s `start_time`).
    public let startTime: Int
    /// The bounded thread pools for uploads, deletes, cold reads and stats rendering.
    public let executors = StoreExecutors()
    /// Compactions, bulk loads and pulls running or finished, for `/info` (admin listener).
    public let jobs = AdminJobs()
    /// Per loop: the queue upload answers come back through.
    let loopUploads = LoopUploadsTable()
    private let perVolume = Mutex<[VolumeID: RequestStats]>([:])
    private let scrubbed = Mutex<[VolumeID: ScrubReport]>([:])

    /// Builds the context over already opened volumes.
    public init(settings: StoreSettings, volumes: StoreVolumes, metrics: StoreMetrics = StoreMetrics(),
                events: any StoreEvents) {
        self.settings = settings
        self.volumes = volumes
        self.metrics = metrics
        self.events = events
        let now = monotonicNanos()
        func bucket(_ rate: Double, _ burst: Int) -> TokenBucket? {
            rate > 0 ? TokenBucket(rate: rate, burst: max(burst, 1), nowNanos: now) : nil
        }
        readLimit = bucket(settings.readRate, settings.readBurst)
        writeLimit = bucket(settings.writeRate, settings.writeBurst)
        deleteLimit = bucket(settings.deleteRate, settings.deleteBurst)
        startTime = time(nil)
    }

    /// Keeps the latest scrub pass over volume `id`.
    public func didScrub(_ id: VolumeID, _ report: ScrubReport) {
        scrubbed.withLock { $0[id] = report }
    }

    /// Damaged regions known for `volume`: a scrub pass walks the whole block, so it finds again
    /// what recovery skipped at open; until one has run, recovery's count stands.
    public func damagedCount(of volume: Volume) -> Int {
        let scrub = scrubbed.withLock { $0[volume.id]?.damagedOffsets.count ?? 0 }
        return max(volume.recoveryReport.damagedCount, scrub)
    }

    /// The counters of volume `id`, created on first use.
    public func stats(of id: VolumeID) -> RequestStats {
        perVolume.withLock { table in
            if let s = table[id] { return s }
            let s = RequestStats()
            table[id] = s
            return s
        }
    }
}

/// Coordination side effects of volume changes. The store's registrar implements it with the
/// znodes of DESIGN.md §4.8; tests use a recording implementation. Calls come from worker
/// threads (never a loop) after the local change is durable; `completion` reports whether
/// coordination accepted it (the admin API answers with that).
public protocol StoreEvents: Sendable {
    /// Volume `id` now lives in `block`/`index` (added, bulk-loaded, or moved by compaction).
    func volumeDidChange(id: VolumeID, block: String, index: String, completion: @escaping @Sendable (Error?) -> Void)
}
