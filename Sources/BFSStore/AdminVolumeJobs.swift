import BFSCore
import BFSHTTP
import BFSLoop
import BFSStorage
import Foundation
import Glibc

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
            guard context.volumes.volume(vid) == nil else {
                return AdminReplies.json(ex, context, .bulkVolume, start: start, ret: Ret.volumeExist.rawValue)
            }
            if let peer {
                return Self.checkPeer(context, from: peer) { refusal in
                    if let (ret, message) = refusal {
                        AdminHandlers.logger.error("bulk_volume \(vid) from=\(from) refused: \(message)")
                        return AdminReplies.json(ex, context, .bulkVolume, start: start, ret: ret,
                                                 extra: ",\"error\":" + AdminReplies.quoted(message))
                    }
                    guard context.jobs.beginLoad(id: vid, from: from) else {
                        return AdminReplies.json(ex, context, .bulkVolume, start: start, ret: Ret.volumeExist.rawValue)
                    }
                    VolumePuller(context: context, loop: ex.loop, id: vid, host: peer.host, port: peer.port).start()
                    AdminReplies.json(ex, context, .bulkVolume, start: start, ret: 1)
                }
            }
            // The files are judged before anything is created or answered: a path outside the
            // data directories, a file the store already uses, or a block that is not a bfs
            // block is refused here with its reason, not found out later in the background.
            ex.loop.runBlocking({ try context.volumes.checkBulkFiles(id: vid, blockPath: bfile, indexPath: ifile) }) { checked in
                if case .failure(let e) = checked {
                    AdminHandlers.logger.error("bulk_volume \(vid) bfile=\(bfile) ifile=\(ifile) refused: \(e)")
                    return AdminReplies.json(ex, context, .bulkVolume, start: start, ret: AdminReplies.ret(of: e),
                                             extra: ",\"error\":" + AdminReplies.quoted(Self.refusal(e, bfile: bfile)))
                }
                guard context.jobs.beginLoad(id: vid, from: "local") else {
                    return AdminReplies.json(ex, context, .bulkVolume, start: start, ret: Ret.volumeExist.rawValue)
                }
                AdminHandlers.detach("bulk-\(vid)") {
                    AdminHandlers.register(context, id: vid, block: bfile, index: ifile)
                }
                AdminReplies.json(ex, context, .bulkVolume, start: start, ret: 1)
            }
        }
    }

    /// Calls `done(nil)` when `from` is the admin address of a store registered in the cluster,
    /// else `done((ret, reason))`. Without a view of the cluster nothing may be pulled.
    static func checkPeer(_ context: StoreContext, from peer: (host: String, port: Int),
                          _ done: @escaping @Sendable ((Int, String)?) -> Void) {
        let from = "\(peer.host):\(peer.port)"
        guard let stores = context.events as? any RegisteredStores else {
            return done((Ret.paramError.rawValue, "from=\(from): this store has no view of the cluster's stores"))
        }
        stores.registeredAdminAddresses { result in
            switch result {
            case .success(let addresses):
                let registered = addresses.contains { address in
                    AdminReplies.hostPort(address).map { $0.host == peer.host && $0.port == peer.port } ?? false
                }
                done(registered ? nil : (Ret.paramError.rawValue, "from=\(from) is not a store registered in the cluster"))
            case .failure(let e):
                done((Ret.internalError.rawValue, "from=\(from): reading the registered stores failed: \(e)"))
            }
        }
    }

    /// Why `/bulk_volume` refused its files, naming the parameter at fault.
    static func refusal(_ error: any Error, bfile: String) -> String {
        guard let error = error as? StorageError else { return "\(error)" }
        func name(_ path: String) -> String { path == bfile ? "bfile" : "ifile" }
        switch error {
        case .pathNotAllowed(let path): return "\(name(path)) must be inside a data directory"
        case .fileInUse(let path): return "\(name(path)) is a file the store already uses"
        case .pathNotListable(let path): return "\(name(path)) cannot hold a comma or a line break"
        case .badSuperBlockMagic, .unsupportedVersion: return "bfile is not a bfs block file"
        case .io(let operation, let code): return "bfile: \(operation): \(String(cString: strerror(code)))"
        default: return "\(error)"
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
    /// `prepare` runs on the opened volume before it is registered (see `StoreVolumes.bulkVolume`).
    @discardableResult
    static func register(_ context: StoreContext, id: VolumeID, block: String, index: String,
                         prepare: (Volume) throws(StorageError) -> Void = { _ in }) -> Bool {
        do {
            try context.volumes.bulkVolume(id: id, blockPath: block, indexPath: index, prepare: prepare)
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
