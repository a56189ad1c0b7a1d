import BFSCore
import BFSHTTP
import BFSMetadata

/// `DELETE /<prefix>/<bucket>/<filename>`: the directory's `POST /del` (the file row goes, its
/// needle becomes a tombstone the directory's reaper deletes from every replica until all
/// confirm), then a best-effort `POST /del` on each store so the bytes go at once. 204 on
/// success, 404 when the directory knows no such file (ret 5001); either way the proxy's cache
/// entry for the name is dropped. `If-Match` / `If-Unmodified-Since` are checked first
/// (`WritePreconditions`, 412) and the delete then expects the row seen (`expect_key`, or
/// `expect_absent` when there was none): a file replaced or created in between answers 412
/// and stays.
struct DeleteHandler {
    let context: ProxyContext

    func handle(_ ex: ProxyExchange, path: ProxyPath, query: FormFields) {
        guard !path.filename.isEmpty else { return ex.fail(ProxyFailure(.badRequest, "filename required")) }
        RequestGate(context: context).admit(ex, path: path, signedMethod: .delete, signedFilename: path.filename, query: query) { _ in
            WritePreconditions(context: context).check(ex, bucket: path.bucket, filename: path.filename) { checked in
                switch checked {
                case .failure(let failure): ex.fail(failure)
                case .success(let expecting): delete(ex, path: path, expecting: expecting)
                }
            }
        }
    }

    private func delete(_ ex: ProxyExchange, path: ProxyPath, expecting: FileExpectation?) {
        let stores = context.stores(on: ex.loop)
        context.directory(on: ex.loop).delete(bucket: path.bucket, filename: path.filename, expecting: expecting) { [context] result in
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
