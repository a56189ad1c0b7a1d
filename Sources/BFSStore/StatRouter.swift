import BFSCore
import BFSHTTP
import BFSLoop
import BFSStorage
import Foundation
import Synchronization

/// The stat listener's routes (reference/bfs-v1.md §1.9 stat table):
///
/// | Path | Method | Answer |
/// |---|---|---|
/// | `/info` | GET | the bfs JSON (`InfoReport`), volumes sorted by id, plus `loads` and `compactions` (`AdminJobs`) |
/// | `/metrics` | GET | Prometheus text, `Content-Type: text/plain; version=0.0.4` |
///
/// Both are rendered on the `stats` executor, off the loop: they take every volume's lock, and
/// `/info` stats index files. A full stats queue answers 503.
public func makeStatRouter(context: StoreContext) -> HTTPRouter {
    var router = HTTPRouter()
    let rates = StatRates()
    router.add(.get, "/info") { ex in
        let start = monotonicNanos()
        ex.loop.run(on: context.executors.stats, { try StatInfo.render(context, rates: rates) }) { result in
            switch result {
            case .success(let json):
                ex.respond(status: .ok, headers: ["Content-Type": "application/json;charset=utf-8"], body: .bytes(json))
                context.metrics.record(.info, status: 200, elapsedNanos: monotonicNanos() &- start)
            case .failure(let e):
                statFailure(ex, context, .info, start: start, e)
            }
        }
    }
    router.add(.get, "/metrics") { ex in
        let start = monotonicNanos()
        ex.loop.run(on: context.executors.stats, { renderMetrics(context, start: start) }) { result in
            switch result {
            case .success(let text):
                ex.respond(status: .ok, headers: ["Content-Type": "text/plain; version=0.0.4"], body: .bytes(text))
            case .failure(let e):
                statFailure(ex, context, .metrics, start: start, e)
            }
        }
    }
    return router
}

/// The Prometheus text, with the per-volume gauges brought up to date first.
private func renderMetrics(_ context: StoreContext, start: UInt64) -> [UInt8] {
    for id in context.volumes.volumeIDs {
        guard let v = context.volumes.volume(id) else { continue }
        let info = v.info
        context.metrics.setVolume(id: id, sizeBytes: info.durableEnd, needles: info.liveCount,
                                  deleted: info.needleCount - info.liveCount, damaged: context.damagedCount(of: v))
    }
    // Recorded before rendering, so a scrape sees its own endpoint's series.
    context.metrics.record(.metrics, status: 200, elapsedNanos: monotonicNanos() &- start)
    return context.metrics.render()
}

/// 503 when the stats executor is saturated, 500 for a rendering failure.
private func statFailure(_ ex: HTTPServerExchange, _ context: StoreContext, _ endpoint: StoreMetrics.Endpoint,
                         start: UInt64, _ error: any Error) {
    let saturated = (error as? UVError)?.isExecutorSaturated == true
    AdminReplies.status(ex, context, endpoint, start: start, saturated ? .serviceUnavailable : .internalServerError, "\(error)")
}

/// The baseline the per-second rates of `/info` are computed against. bfs recomputed them with
/// a 1 s ticker; here the baseline is the counters at an earlier `/info` at least one second
/// old, so an idle store runs no timer and the rates cover the last second or more.
final class StatRates: Sendable {
    struct Baseline {
        var nanos: UInt64 = 0
        var store: StatsSnapshot?
        var volumes: [VolumeID: StatsSnapshot] = [:]
    }

    let baseline = Mutex(Baseline())

    /// The current counters with rates, and possibly a new baseline.
    func snapshots(_ context: StoreContext, ids: [VolumeID]) -> (StatsSnapshot, [VolumeID: StatsSnapshot]) {
        let now = monotonicNanos()
        let base = baseline.withLock { $0 }
        let seconds = base.store == nil ? 0 : Double(now &- base.nanos) / 1e9
        let store = context.stats.snapshot(previous: base.store, seconds: seconds)
        var volumes: [VolumeID: StatsSnapshot] = [:]
        for id in ids { volumes[id] = context.stats(of: id).snapshot(previous: base.volumes[id], seconds: seconds) }
        if base.store == nil || seconds >= 1 {
            baseline.withLock { $0 = Baseline(nanos: now, store: store, volumes: volumes) }
        }
        return (store, volumes)
    }
}

/// Builds the `/info` document.
enum StatInfo {
    /// The JSON bytes of `/info` (blocking: stats files; call off the loop).
    static func render(_ context: StoreContext, rates: StatRates) throws -> [UInt8] {
        let ids = context.volumes.volumeIDs
        let (storeStats, volumeStats) = rates.snapshots(context, ids: ids)
        var volumes: [BFSStore.VolumeInfo] = []
        for id in ids {
            guard let v = context.volumes.volume(id) else { continue }
            volumes.append(volumeInfo(v, context: context, stats: volumeStats[id] ?? StatsSnapshot()))
        }
        let free = context.volumes.freeVolumeEntries.map { e in
            BFSStore.VolumeInfo(
                id: e.id, stats: StatsSnapshot(),
                // A free volume is closed: bfs shows the header-only block and `last_err` 3005.
                block: .init(file: e.blockPath, offset: UInt32(SuperBlockFormat.headerSize / 8), size: Int64(SuperBlockFormat.headerSize),
                             lastErr: Ret.superBlockClosed.rawValue),
                index: .init(file: e.indexPath, lastErr: nil, offset: 0),
                compact: false, compactOffset: 0, compactTime: 0, needles: 0, deleted: 0, damaged: 0, compactProgress: nil)
        }
        let failed = context.volumes.failedVolumes.sorted { $0.key < $1.key }.map { id, error in
            let entry = context.volumes.listEntry(id)
            return FailedVolumeInfo(id: id, block: entry?.blockPath ?? "", index: entry?.indexPath ?? "", error: "\(error) (ret \(error.ret.rawValue))")
        }
        let server = ServerInfo(startTime: rfc3339(context.startTime), processID: Int(getpid()), stats: storeStats)
        let report = InfoReport(server: server, volumes: volumes, freeVolumes: free, failedVolumes: failed)
        let document = StatInfoDocument(report: report, loads: context.jobs.loads, compactions: context.jobs.compactions,
                                        dataDirs: context.settings.volumeDirectories, freeVolumeSize: context.settings.freeVolumeSize)
        return Array(try JSONEncoder().encode(document))
    }

    /// One active volume as `/info` shows it.
    static func volumeInfo(_ v: Volume, context: StoreContext, stats: StatsSnapshot) -> BFSStore.VolumeInfo {
        let info = v.info
        let lastErr: Int? = info.closed ? Ret.superBlockClosed.rawValue : info.failed ? StorageError.volumeFailed.ret.rawValue : nil
        let indexPath = v.indexPath
        var st = stat()
        let indexSize = stat(indexPath, &st) == 0 ? Int64(st.st_size) : 0
        let running = v.compaction
        let job = context.jobs.compaction(of: v.id)
        return BFSStore.VolumeInfo(
            id: v.id, stats: stats,
            block: .init(file: v.blockPath, offset: UInt32(truncatingIfNeeded: info.durableEnd / 8), size: info.durableEnd, lastErr: lastErr),
            index: .init(file: indexPath, lastErr: lastErr, offset: indexSize),
            compact: running != nil,
            compactOffset: UInt32(truncatingIfNeeded: (running?.bytesDone ?? 0) / 8),
            compactTime: job?.startNanos ?? 0,
            needles: info.liveCount, deleted: info.needleCount - info.liveCount, damaged: context.damagedCount(of: v),
            compactProgress: running.map { .init(done: $0.bytesDone, total: $0.bytesTotal) })
    }

    /// Unix seconds as RFC 3339 in UTC (bfs `start_time`).
    static func rfc3339(_ seconds: Int) -> String {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }
}

/// `InfoReport` plus the admin jobs and what ops needs to add free volumes (additions: bfs
/// readers ignore unknown keys): `data_dirs`, the directories `/add_free_volume` accepts, and
/// `free_volume_size`, the bytes each new free volume reserves.
struct StatInfoDocument: Encodable {
    let report: InfoReport
    let loads: [AdminJobs.Load]
    let compactions: [AdminJobs.Compaction]
    let dataDirs: [String]
    let freeVolumeSize: Int64

    enum Keys: String, CodingKey {
        case loads, compactions
        case dataDirs = "data_dirs"
        case freeVolumeSize = "free_volume_size"
    }

    func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(loads, forKey: .loads)
        try c.encode(compactions, forKey: .compactions)
        try c.encode(dataDirs, forKey: .dataDirs)
        try c.encode(freeVolumeSize, forKey: .freeVolumeSize)
    }
}
