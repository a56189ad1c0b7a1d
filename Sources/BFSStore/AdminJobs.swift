import BFSCore
import BFSStorage
import Glibc
import Synchronization

/// Long admin work (compactions, bulk loads, pulls from a peer) that outlives the request that
/// started it: bfs answered `{"ret":1}` at once and the outcome was only in its logs. Here each
/// job's progress and outcome stays visible in `/info` until the next job of the same kind for
/// that volume replaces it.
public final class AdminJobs: Sendable {
    /// What a job is doing.
    public enum State: String, Sendable, Encodable {
        /// Still working.
        case running
        /// Finished; the volume is in place.
        case done
        /// Stopped on an error (in `error`).
        case failed
    }

    /// One bulk load or pull, as `/info` shows it.
    public struct Load: Sendable, Encodable {
        /// The volume id being loaded.
        public var id: VolumeID
        /// `host:port` of the peer, or `local` for `bfile`/`ifile`.
        public var from: String
        /// Progress state.
        public var state: State
        /// Bytes copied so far (block and index).
        public var done: Int64
        /// Bytes to copy (block and index), 0 until known.
        public var total: Int64
        /// Why it failed, if it did.
        public var error: String?
    }

    /// One compaction's outcome, as `/info` shows it (progress comes from the volume itself).
    public struct Compaction: Sendable, Encodable {
        /// The volume id.
        public var id: VolumeID
        /// Progress state.
        public var state: State
        /// Wall-clock start, Unix nanoseconds (bfs `compact_time`).
        public var startNanos: Int64
        /// How long it ran, nanoseconds (0 while running).
        public var elapsedNanos: Int64
        /// Bytes before and after (0 until done).
        public var bytesBefore: Int64, bytesAfter: Int64
        /// Why it failed, if it did.
        public var error: String?

        enum CodingKeys: String, CodingKey {
            case id, state, error
            case startNanos = "start_time"
            case elapsedNanos = "elapsed"
            case bytesBefore = "bytes_before"
            case bytesAfter = "bytes_after"
        }
    }

    private struct Table {
        var loads: [VolumeID: Load] = [:]
        var compactions: [VolumeID: Compaction] = [:]
        var snapshots: [UInt64: (snapshot: VolumeSnapshot, lastUse: UInt64)] = [:]
    }

    private let table = Mutex(Table())
    /// Called on a pull's worker thread once the copy is in place, just before the peer is asked
    /// for its deletes: a seam for tests to delete on the peer at exactly that point.
    let pullWillCatchUp = Mutex<(@Sendable (VolumeID) -> Void)?>(nil)

    /// No jobs yet.
    public init() {}

    /// Registers a new load of `id` unless one is already running; false if one is.
    func beginLoad(id: VolumeID, from: String) -> Bool {
        table.withLock { t in
            if t.loads[id]?.state == .running { return false }
            t.loads[id] = Load(id: id, from: from, state: .running, done: 0, total: 0, error: nil)
            return true
        }
    }

    /// Updates a running load's byte counts.
    func progress(id: VolumeID, done: Int64, total: Int64) {
        table.withLock { t in
            t.loads[id]?.done = done
            t.loads[id]?.total = total
        }
    }

    /// Ends a load with success (`error` nil) or failure.
    func finishLoad(id: VolumeID, error: String?) {
        table.withLock { t in
            t.loads[id]?.state = error == nil ? .done : .failed
            t.loads[id]?.error = error
        }
    }

    /// Records that a compaction of `id` starts now; false if one is already running.
    func beginCompaction(id: VolumeID) -> Bool {
        table.withLock { t in
            if t.compactions[id]?.state == .running { return false }
            t.compactions[id] = Compaction(id: id, state: .running, startNanos: AdminJobs.wallNanos(), elapsedNanos: 0,
                                           bytesBefore: 0, bytesAfter: 0, error: nil)
            return true
        }
    }

    /// Ends the compaction of `id`.
    func finishCompaction(id: VolumeID, elapsedNanos: UInt64, result: CompactionResult?, error: String?) {
        table.withLock { t in
            t.compactions[id]?.state = error == nil ? .done : .failed
            t.compactions[id]?.elapsedNanos = Int64(clamping: elapsedNanos)
            t.compactions[id]?.bytesBefore = result?.bytesBefore ?? 0
            t.compactions[id]?.bytesAfter = result?.bytesAfter ?? 0
            t.compactions[id]?.error = error
        }
    }

    /// Loads, sorted by volume id.
    public var loads: [Load] { table.withLock { t in t.loads.values.sorted { $0.id < $1.id } } }

    /// Compaction outcomes, sorted by volume id.
    public var compactions: [Compaction] { table.withLock { t in t.compactions.values.sorted { $0.id < $1.id } } }

    /// The last compaction of `id`, if any.
    public func compaction(of id: VolumeID) -> Compaction? { table.withLock { $0.compactions[id] } }

    // MARK: snapshots served to pulling peers

    /// Snapshots idle this long are released (their descriptors may pin unlinked files).
    static let snapshotIdleNanos: UInt64 = 300 * 1_000_000_000

    /// Keeps `snapshot` for later range reads; returns its token.
    func keep(_ snapshot: VolumeSnapshot, now: UInt64) -> UInt64 {
        var g = SystemRandomNumberGenerator()
        let token = UInt64.random(in: 1...UInt64.max, using: &g)
        let expired: [VolumeSnapshot] = table.withLock { t in
            let old = t.snapshots.filter { now &- $0.value.lastUse > AdminJobs.snapshotIdleNanos }
            for k in old.keys { t.snapshots[k] = nil }
            t.snapshots[token] = (snapshot, now)
            return old.values.map(\.snapshot)
        }
        _ = expired  // released here, outside the lock (closing a descriptor is a syscall)
        return token
    }

    /// The snapshot for `token`, refreshed as used.
    func snapshot(_ token: UInt64, now: UInt64) -> VolumeSnapshot? {
        table.withLock { t in
            guard let entry = t.snapshots[token] else { return nil }
            t.snapshots[token] = (entry.snapshot, now)
            return entry.snapshot
        }
    }

    /// Releases the snapshot for `token` (the peer finished).
    func release(_ token: UInt64) -> Bool {
        let gone = table.withLock { $0.snapshots.removeValue(forKey: token) }
        return gone != nil
    }

    /// Snapshots currently held.
    var snapshotCount: Int { table.withLock { $0.snapshots.count } }

    static func wallNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
