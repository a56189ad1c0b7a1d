import Synchronization

/// Cumulative counters behind the bfs `<Stats>` object of `/info` (reference §1.9), one set per
/// volume plus one for the whole store. Reads and uploads count into per-loop shards
/// (`shard()`, single writer each); deletes, flushes and compactions, which complete on other
/// threads, into the shared atomics here; `snapshot(previous:seconds:)` sums both and derives
/// the per-second rates.
public final class RequestStats: Sendable {
    let commands = Atomic<UInt64>(0)
    let writes = Atomic<UInt64>(0)
    let deletes = Atomic<UInt64>(0)
    let gets = Atomic<UInt64>(0)
    let flushes = Atomic<UInt64>(0)
    let compacts = Atomic<UInt64>(0)
    let transferredBytes = Atomic<UInt64>(0)
    let readBytes = Atomic<UInt64>(0)
    let writeBytes = Atomic<UInt64>(0)
    let totalDelay = Atomic<UInt64>(0)
    let writeDelay = Atomic<UInt64>(0)
    let deleteDelay = Atomic<UInt64>(0)
    let getDelay = Atomic<UInt64>(0)
    let flushDelay = Atomic<UInt64>(0)
    let compactDelay = Atomic<UInt64>(0)

    /// The loops' shares, summed by `snapshot`.
    private let shards = Mutex<[RequestStatsShard]>([])

    public init() {}

    /// A new share for one loop to count its reads and writes in (keep it: each call adds one).
    func shard() -> RequestStatsShard {
        let shard = RequestStatsShard()
        shards.withLock { $0.append(shard) }
        return shard
    }

    /// Counts a served read of `bytes` data bytes that took `nanos`.
    public func didGet(bytes: Int, nanos: UInt64) {
        commands.add(1, ordering: .relaxed)
        gets.add(1, ordering: .relaxed)
        readBytes.add(UInt64(bytes), ordering: .relaxed)
        transferredBytes.add(UInt64(bytes), ordering: .relaxed)
        getDelay.add(nanos, ordering: .relaxed)
        totalDelay.add(nanos, ordering: .relaxed)
    }

    /// Counts `count` durable writes of `bytes` data bytes in total that took `nanos`.
    public func didWrite(count: Int, bytes: Int, nanos: UInt64) {
        commands.add(1, ordering: .relaxed)
        writes.add(UInt64(count), ordering: .relaxed)
        writeBytes.add(UInt64(bytes), ordering: .relaxed)
        transferredBytes.add(UInt64(bytes), ordering: .relaxed)
        writeDelay.add(nanos, ordering: .relaxed)
        totalDelay.add(nanos, ordering: .relaxed)
    }

    /// Counts a durable delete that took `nanos`.
    public func didDelete(nanos: UInt64) {
        commands.add(1, ordering: .relaxed)
        deletes.add(1, ordering: .relaxed)
        deleteDelay.add(nanos, ordering: .relaxed)
        totalDelay.add(nanos, ordering: .relaxed)
    }

    /// Counts one fdatasync covering writes or deletes.
    public func didFlush(nanos: UInt64) {
        flushes.add(1, ordering: .relaxed)
        flushDelay.add(nanos, ordering: .relaxed)
    }

    /// Counts a finished compaction.
    public func didCompact(nanos: UInt64) {
        compacts.add(1, ordering: .relaxed)
        compactDelay.add(nanos, ordering: .relaxed)
    }

    /// The counters now, with per-second rates against `previous` taken `seconds` ago.
    public func snapshot(previous: StatsSnapshot?, seconds: Double) -> StatsSnapshot {
        var s = StatsSnapshot()
        s.totalCommandsProcessed = commands.load(ordering: .relaxed)
        s.totalWriteProcessed = writes.load(ordering: .relaxed)
        s.totalDelProcessed = deletes.load(ordering: .relaxed)
        s.totalGetProcessed = gets.load(ordering: .relaxed)
        s.totalFlushProcessed = flushes.load(ordering: .relaxed)
        s.totalCompactProcessed = compacts.load(ordering: .relaxed)
        s.totalTransferedBytes = transferredBytes.load(ordering: .relaxed)
        s.totalReadBytes = readBytes.load(ordering: .relaxed)
        s.totalWriteBytes = writeBytes.load(ordering: .relaxed)
        s.totalDelay = totalDelay.load(ordering: .relaxed)
        s.totalWriteDelay = writeDelay.load(ordering: .relaxed)
        s.totalDelDelay = deleteDelay.load(ordering: .relaxed)
        s.totalGetDelay = getDelay.load(ordering: .relaxed)
        s.totalFlushDelay = flushDelay.load(ordering: .relaxed)
        s.totalCompactDelay = compactDelay.load(ordering: .relaxed)
        for shard in shards.withLock({ $0 }) {
            s.totalCommandsProcessed &+= shard.commands.load(ordering: .relaxed)
            s.totalWriteProcessed &+= shard.writes.load(ordering: .relaxed)
            s.totalGetProcessed &+= shard.gets.load(ordering: .relaxed)
            s.totalTransferedBytes &+= shard.transferredBytes.load(ordering: .relaxed)
            s.totalReadBytes &+= shard.readBytes.load(ordering: .relaxed)
            s.totalWriteBytes &+= shard.writeBytes.load(ordering: .relaxed)
            s.totalDelay &+= shard.totalDelay.load(ordering: .relaxed)
            s.totalWriteDelay &+= shard.writeDelay.load(ordering: .relaxed)
            s.totalGetDelay &+= shard.getDelay.load(ordering: .relaxed)
        }
        if let p = previous, seconds > 0 {
            func rate(_ now: UInt64, _ before: UInt64) -> UInt64 { UInt64(Double(now &- before) / seconds) }
            s.writeTPS = rate(s.totalWriteProcessed, p.totalWriteProcessed)
            s.delTPS = rate(s.totalDelProcessed, p.totalDelProcessed)
            s.getQPS = rate(s.totalGetProcessed, p.totalGetProcessed)
            s.flushTPS = rate(s.totalFlushProcessed, p.totalFlushProcessed)
            s.transferedFlow = rate(s.totalTransferedBytes, p.totalTransferedBytes)
            s.readFlow = rate(s.totalReadBytes, p.totalReadBytes)
            s.writeFlow = rate(s.totalWriteBytes, p.totalWriteBytes)
            s.delay = s.totalDelay &- p.totalDelay
            s.writeDelay = s.totalWriteDelay &- p.totalWriteDelay
            s.delDelay = s.totalDelDelay &- p.totalDelDelay
            s.getDelay = s.totalGetDelay &- p.totalGetDelay
            s.flushDelay = s.totalFlushDelay &- p.totalFlushDelay
        }
        return s
    }
}
