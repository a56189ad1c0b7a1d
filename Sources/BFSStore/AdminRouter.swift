import BFSCore
import BFSHTTP
import BFSLoop
import BFSStorage
import Logging

/// The admin listener's routes (reference/bfs-v1.md §1.9 admin table, DESIGN.md §4.7):
///
/// | Path | Method | Params | Answer |
/// |---|---|---|---|
/// | `/probe` | HEAD, GET | `vid` | 200; 400 bad vid; 404 no volume, or the probed needle vanished; 500 verification failed. An empty volume answers 200 (bfs: 404, which made pitchfork distrust empty volumes). |
/// | `/add_free_volume` | POST | `n`, `bdir`, `idir` (inside `data_dirs`) | `{"ret":1,"succeed":<created>}`; on a failure its ret, `succeed` (the volumes made before it, kept and listed) and `error` |
/// | `/add_volume` | POST | `vid` | 1; 8000 exists; 7001 no free volume; 65535 coordination failed (the volume stays added) |
/// | `/bulk_volume` | POST | `vid` and `bfile`+`ifile`, or `from=host:port` | 1 at once, the work goes on in the background (see `/info` `loads`); 8000 vid exists or is loading; 65534 bad params; files refused before anything is created, with `error`: 65534 outside `data_dirs`, 7002 a file the store uses, 3000 not a block; `from` must be the admin address of a store registered in the cluster (65534 otherwise, 65535 when coordination cannot be read) |
/// | `/compact_volume` | POST | `vid` | 1 at once (progress in `/info`); 8001 no volume (bfs: 8000); 8003 already compacting |
/// | `/volume_snapshot`, `/volume_file`, `/volume_snapshot_release`, `/volume_deletes` | | | what a pulling peer reads (`AdminVolumeExport`) |
///
/// Parameters come from the query or an urlencoded body (Go's `FormValue`). Every disk touch runs
/// off the loop: short work in `runBlocking`, compactions and bulk loads on a thread of their own.
public func makeAdminRouter(context: StoreContext) -> HTTPRouter {
    var router = HTTPRouter()
    let admin = AdminHandlers(context: context)
    router.add(.get, "/probe", admin.probe)
    router.add(.post, "/add_free_volume", admin.addFreeVolume)
    router.add(.post, "/add_volume", admin.addVolume)
    router.add(.post, "/bulk_volume", admin.bulkVolume)
    router.add(.post, "/compact_volume", admin.compactVolume)
    let export = AdminVolumeExport(context: context)
    router.add(.post, "/volume_snapshot", export.takeSnapshot)
    router.add(.get, "/volume_file", export.readFile)
    router.add(.post, "/volume_snapshot_release", export.release)
    router.add(.get, "/volume_deletes", export.deletedKeys)
    return router
}

/// The bfs admin endpoints.
struct AdminHandlers: Sendable {
    let context: StoreContext
    static let logger = Logger(label: "bfs.store.admin")

    func probe(_ ex: HTTPServerExchange) {
        let start = monotonicNanos()
        let query = (try? QueryString.parse(ex.head.query)) ?? FormFields()
        guard let vid = query.first("vid").flatMap({ VolumeID($0) }) else {
            return AdminReplies.status(ex, context, .probe, start: start, .badRequest, "bad vid")
        }
        guard let volume = context.volumes.volume(vid) else {
            return AdminReplies.status(ex, context, .probe, start: start, .notFound, "volume \(vid) not found")
        }
        let context = self.context
        // A probe is a read: it runs with the cold reads, never behind admin work such as a
        // 16 MiB export read, so a pitchfork's timeout never mistakes a busy pull for a failure.
        ex.loop.run(on: context.executors.reads, { try volume.probe() }) { result in
            switch result {
            case .success:
                AdminReplies.status(ex, context, .probe, start: start, .ok)
            case .failure(let e as UVError) where e.isExecutorSaturated:
                AdminReplies.status(ex, context, .probe, start: start, .serviceUnavailable, "busy")
            case .failure(let e as StorageError) where e == .needleNotFound || e == .needleDeleted || e == .volumeClosed:
                AdminReplies.status(ex, context, .probe, start: start, .notFound, "\(e)")
            case .failure(let e):
                AdminHandlers.logger.error("probe of volume \(vid) failed: \(e)")
                AdminReplies.status(ex, context, .probe, start: start, .internalServerError, "\(e)")
            }
        }
    }

    func addFreeVolume(_ ex: HTTPServerExchange) {
        let start = monotonicNanos()
        let context = self.context
        AdminReplies.readParameters(ex) { params in
            guard let params, let n = params.first("n").flatMap({ Int32($0) }), n >= 0,
                  let bdir = params.first("bdir"), !bdir.isEmpty, let idir = params.first("idir"), !idir.isEmpty else {
                return AdminReplies.json(ex, context, .addFreeVolume, start: start, ret: Ret.paramError.rawValue)
            }
            ex.loop.runBlocking({
                try context.volumes.addFreeVolumes(count: Int(n), blockDirectory: bdir, indexDirectory: idir)
            }) { result in
                switch result {
                case .success(let created):
                    AdminReplies.json(ex, context, .addFreeVolume, start: start, ret: 1, extra: ",\"succeed\":\(created)")
                case .failure(let e):
                    // Volumes made before the failure are kept and listed: say how many.
                    var made = 0, message = "\(e)"
                    switch e as? StorageError {
                    case .freeVolumesPartlyCreated(let created, let cause)?: (made, message) = (created, "\(cause)")
                    case .pathNotAllowed(let path)?: message = "\(path == bdir ? "bdir" : "idir") must be inside a data directory"
                    case .pathNotListable(let path)?: message = "\(path == bdir ? "bdir" : "idir") cannot hold a comma or a line break"
                    default: break
                    }
                    AdminHandlers.logger.error("add_free_volume n=\(n) bdir=\(bdir) idir=\(idir) failed after \(made): \(e)")
                    AdminReplies.json(ex, context, .addFreeVolume, start: start, ret: AdminReplies.ret(of: e),
                                      extra: ",\"succeed\":\(made),\"error\":" + AdminReplies.quoted(message))
                }
            }
        }
    }

    func addVolume(_ ex: HTTPServerExchange) {
        let start = monotonicNanos()
        let context = self.context
        AdminReplies.readParameters(ex) { params in
            guard let vid = params?.first("vid").flatMap({ VolumeID($0) }) else {
                return AdminReplies.json(ex, context, .addVolume, start: start, ret: Ret.paramError.rawValue)
            }
            ex.loop.runBlocking({ () throws -> (String, String) in
                let v = try context.volumes.addVolume(vid)
                return (v.blockPath, v.indexPath)
            }) { result in
                switch result {
                case .success(let (block, index)):
                    // Answered once coordination has answered; a failure there leaves the volume
                    // added locally, as bfs does (the registrar re-registers it on restart).
                    context.events.volumeDidChange(id: vid, block: block, index: index) { error in
                        if let error { AdminHandlers.logger.error("add_volume \(vid): coordination failed: \(error)") }
                        AdminReplies.json(ex, context, .addVolume, start: start, ret: error == nil ? 1 : Ret.internalError.rawValue)
                    }
                case .failure(let e):
                    AdminReplies.json(ex, context, .addVolume, start: start, ret: AdminReplies.ret(of: e))
                }
            }
        }
    }
}
