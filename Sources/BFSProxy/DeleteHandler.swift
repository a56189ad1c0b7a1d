import BFSCore
import BFSHTTP

/// `DELETE /<prefix>/<bucket>/<filename>`: the directory's `POST /del` (the file row goes, its
/// needle becomes a tombstone the directory's reaper deletes from every replica until all
/// confirm), then a best-effort `POST /del` on each store so the bytes go at once. 204 on
/// success, 404 when the directory knows no such file (ret 5001); either way the proxy's cache
/// entry for the name is dropped.
struct DeleteHandler {
    let context: ProxyContext

    func handle(_ ex: ProxyExchange, path: ProxyPath, query: FormFields) {
        guard !path.filename.isEmpty else { return ex.fail(ProxyFailure(.badRequest, "filename required")) }
        RequestGate(context: context).admit(ex, path: path, signedMethod: .delete, signedFilename: path.filename, query: query) { _ in
            let stores = context.stores(on: ex.loop)
            context.directory(on: ex.loop).delete(bucket: path.bucket, filename: path.filename) { [context] result in
                context.files.invalidate(bucket: path.bucket, filename: path.filename)
                switch result {
                case .failure(let failure):
                    ex.fail(failure)
                case .success(nil):
                    ex.fail(ProxyFailure(.notFound, "file not found", code: Ret.needleNotExist.rawValue))
                case .success(let needle?):
                    for store in needle.stores { stores.delete(on: store, key: needle.key, vid: needle.vid) }
                    ex.respond(status: .noContent, headers: WriteResponseHeaders.outcome(status: .noContent))
                }
            }
        }
    }
}
