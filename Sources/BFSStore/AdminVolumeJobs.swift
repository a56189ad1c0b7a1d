import BFSCore
import BFSHTTP
import BFSLoop
import BFSStorage
import Foundation

/// `/bulk_volume` and `/compact_volume`: long work answered at once with `{"ret":1}` (as bfs),
/// run on a thread of its own (a compaction copies a whole volume; it must not hold one of the
/// few libuv pool threads for minutes), with progress and outcome in `/info` and the logs.
extension AdminHandlers {
    func bulkVolume(_ ex: HTTPServerExchange) {
        let start = monotonicNanos()
        let context = self.context
        AdminReplies.readParameters(ex) { params in
            guard let params, let vid = params.first("vid").flatMap({ VolumeID($0) }) else {
                return AdminReplies.json(ex, context, .bulkVolume, start: start, ret: Ret.paramError.rawValue)
            }
            let from = params.first("from") ?? ""
            let peer = AdminReplies.hostPort(from)
            let bfile = params.first("bfile") ?? "", ifile = params.first("ifile") ?? ""
            guard from.isEmpty ? (!bfile.isEmpty && !ifile.isEmpty) : peer != nil else {
                return AdminReplies.json(ex, context, .bulkVolume, start: start, ret: Ret.paramError.rawValue)
            }
            // Checked up front (bfs only found out after opening the files, and leaked them).
            guard context.volumes.volume(vid) == nil,
                  context.jobs.beginLoad(id: vid, from: from.isEmpty ? "local" : from) else {
                return AdminReplies.json(ex, context, .bulkVolume, start: start, ret: Ret.volumeExist.rawValue)
            }
            if let peer {
                VolumePuller(context: context, loop: ex.loop, id: vid, host: peer.host, port: peer.port).start()
            } else {
                AdminHandlers.detach("bulk-\(vid)") {
                    AdminHandlers.register(context, id: vid, block: bfile, index: ifile)
                }
            }
            AdminReplies.json(ex, context, .bulkVolume, start: start, ret: 1)
        }
    }

    func compactVolume(_ ex: HTTPServerExchange) {
        let start = monotonicNanos()
        let context = self.context
        AdminReplies.readParameters(ex) { params in
            guard let vid = params?.first("vid").flatMap({ VolumeID($0) }) else {
                return AdminReplies.json(ex, context, .compactVolume, start: start, ret: Ret.paramError.rawValue)
            }
            guard let volume = context.volumes.volume(vid) else {
                return AdminReplies.json(ex, context, .compactVolume, start: start, ret: Ret.volumeNotExist.rawValue)
            }
            guard volume.compaction == nil, context.jobs.beginCompaction(id: vid) else {
                return AdminReplies.json(ex, context, .compactVolume, start: start, ret: Ret.volumeInCompact.rawValue)
            }
            AdminHandlers.detach("compact-\(vid)") { AdminHandlers.compact(context, id: vid) }
            AdminReplies.json(ex, context, .compactVolume, start: start, ret: 1)
        }
    }

    /// Compacts volume `id` (on its own thread), then tells coordination the new paths.
    static func compact(_ context: StoreContext, id: VolumeID) {
        let began = monotonicNanos()
        do {
            let result = try context.volumes.compactVolume(id)
            let elapsed = monotonicNanos() &- began
            context.stats.didCompact(nanos: elapsed)
            context.stats(of: id).didCompact(nanos: elapsed)
            logger.info("compacted volume \(id): \(result.needlesCopied) needles, \(result.bytesBefore) -> \(result.bytesAfter) bytes, \(result.damagedSkipped) damaged skipped, \(elapsed / 1_000_000) ms")
            guard let volume = context.volumes.volume(id) else {
                return context.jobs.finishCompaction(id: id, elapsedNanos: elapsed, result: result, error: "volume gone")
            }
            let error = tellCoordination(context, id: id, block: volume.blockPath, index: volume.indexPath)
            context.jobs.finishCompaction(id: id, elapsedNanos: elapsed, result: result,
                                          error: error.map { "compacted; coordination failed: \($0)" })
        } catch {
            logger.error("compaction of volume \(id) failed: \(error)")
            context.jobs.finishCompaction(id: id, elapsedNanos: monotonicNanos() &- began, result: nil, error: "\(error)")
        }
    }

    /// Opens and registers `block`/`index` as volume `id`, tells coordination, records the
    /// outcome of the load. False if the volume could not be registered. Blocking: a worker
    /// thread only.
    @discardableResult
    static func register(_ context: StoreContext, id: VolumeID, block: String, index: String) -> Bool {
        do {
            try context.volumes.bulkVolume(id: id, blockPath: block, indexPath: index)
        } catch {
            logger.error("bulk_volume \(id) from \(block), \(index) failed: \(error)")
            context.jobs.finishLoad(id: id, error: "\(error)")
            return false
        }
        let report = context.volumes.volume(id)?.recoveryReport
        logger.info("bulk_volume \(id): opened \(block), \(report?.damagedCount ?? 0) damaged regions")
        let error = tellCoordination(context, id: id, block: block, index: index)
        context.jobs.finishLoad(id: id, error: error.map { "registered locally; coordination failed: \($0)" })
        return true
    }

    /// Calls `volumeDidChange` and waits for its answer (worker threads only).
    static func tellCoordination(_ context: StoreContext, id: VolumeID, block: String, index: String) -> (any Error)? {
        let answer = Completion<AdminOutcome>()
        context.events.volumeDidChange(id: id, block: block, index: index) { error in
            answer.fulfill(AdminOutcome(error: error))
        }
        let error = answer.wait().error
        if let error { logger.error("volume \(id): coordination failed: \(error)") }
        return error
    }

    /// Runs `body` on a new thread.
    static func detach(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = "bfs-\(name)"
        thread.start()
    }
}

/// An error (or none) carried between threads.
struct AdminOutcome: @unchecked Sendable {
    let error: (any Error)?
}
