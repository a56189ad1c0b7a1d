import BFSCore
import BFSHTTP
import BFSMetadata
import Foundation

/// `PUT /<prefix>/<bucket>/<filename>` (DESIGN §7, reference §4.1 with bfs's bugs fixed).
///
/// | Step | Failure |
/// |---|---|
/// | `Content-Type` present | 400 |
/// | declared `Content-Length` ≤ `max_file_size` (before reading) | 413 |
/// | bucket gate (a token always) | 404 / 401 |
/// | upload budget holds the body | 503 + `Retry-After` |
/// | body read: SHA-1 on the way, ≤ `max_file_size`, not empty | 413 / 400 |
/// | name: content-addressed when the filename is empty or ends in `/` | 413 if over 100 bytes |
/// | `If-Match` / `If-None-Match` / `If-Unmodified-Since` against the directory (`WritePreconditions`) | 412 |
/// | `/allocate`, every replica written in parallel, `/commit` | 502 / 503 / 504 |
/// | the commit's `expect_key` / `expect_absent` (only with preconditions) | 412 |
///
/// Replica failure (an error, or silence `store_head_timeout` after another replica answered,
/// `ReplicaWriter`): the allocation is aborted (the directory's reaper deletes partial
/// replicas), the replicas that acknowledged get a best-effort `POST /del` at once, and the
/// upload is retried once on a new allocation that excludes the failed volume's group. Commit
/// comes last, so metadata never points at bytes missing from a replica. A failed commit is
/// answered 5xx and only aborted, never deleted on the stores: the commit may have happened.
/// A commit refused for its expectation (the file changed since the precondition lookup)
/// certainly did not happen: it is aborted and its replicas get a best-effort `POST /del`.
///
/// Success: 201 for a new name, 200 for a replace, with `Code`, `ETag` (quoted SHA-1) and
/// `Location`; the proxy's own cache entry for the name is dropped.
struct WriteHandler {
    let context: ProxyContext

    func handle(_ ex: ProxyExchange, path: ProxyPath, query: FormFields) {
        guard let mime = ex.head.headers["Content-Type"], !mime.isEmpty else {
            return ex.fail(ProxyFailure(.badRequest, "Content-Type required"))
        }
        let maxSize = Int(clamping: context.settings.maxFileSize)
        if let declared = ex.head.contentLength, declared > maxSize {
            return ex.fail(ProxyFailure(.contentTooLarge, "body of \(declared) bytes is over the limit of \(maxSize)"))
        }
        RequestGate(context: context).admit(ex, path: path, signedMethod: .put, signedFilename: path.filename, query: query) { bucket in
            receive(ex, bucket: bucket, path: path, mime: mime, maxSize: maxSize)
        }
    }

    private func receive(_ ex: ProxyExchange, bucket: Bucket, path: ProxyPath, mime: String, maxSize: Int) {
        let body = UploadBody(budget: context.budget)
        let busy = ProxyFailure(.serviceUnavailable, "too many uploads in flight, retry shortly")
        if let declared = ex.head.contentLength, declared > 0, !body.reserve(declared) {
            return ex.fail(busy, headers: ["Retry-After": "1"])
        }
        var refused = false
        ex.raw.readBody(onChunk: { piece in
            guard !refused else { return }
            do throws(ProxyError) {
                try body.append(piece, maxSize: maxSize)
            } catch {
                refused = true
                body.release()
                if error == .uploadBudgetExhausted {
                    ex.fail(busy, headers: ["Retry-After": "1"])
                } else {
                    ex.fail(ProxyFailure(.contentTooLarge, "body is over the limit of \(maxSize) bytes"))
                }
            }
        }, onEnd: { error in
            guard !refused else { return }
            if error != nil {
                // The client left or stalled; the server has answered or closed already.
                body.release()
                return ex.record(.badRequest)
            }
            guard body.size > 0 else {
                body.release()
                return ex.fail(ProxyFailure(.badRequest, "empty body"))
            }
            let sha1 = body.sha1()
            let name: String
            do throws(ProxyError) {
                name = try ContentName.resolve(path.filename, sha1: sha1, contentType: mime)
            } catch {
                body.release()
                return ex.fail(ProxyFailure(.contentTooLarge, "stored filename would be over \(ContentName.maxFilenameSize) bytes"))
            }
            WritePreconditions(context: context).check(ex, bucket: bucket.name, filename: name) { checked in
                switch checked {
                case .success(let expecting):
                    let upload = Upload(bucket: bucket, name: name, mime: mime, sha1: sha1, body: body, expecting: expecting)
                    store(ex, upload, excluded: [], attempt: 1)
                case .failure(let failure):
                    body.release()
                    ex.fail(failure)
                }
            }
        })
    }

    /// What one PUT stores.
    private struct Upload {
        let bucket: Bucket
        let name: String
        let mime: String
        let sha1: String
        let body: UploadBody
        /// The directory state the preconditions passed against (nil without preconditions).
        let expecting: FileExpectation?
    }

    /// Allocate, write every replica, commit; on a replica failure, clean up and retry once.
    private func store(_ ex: ProxyExchange, _ upload: Upload, excluded: [Int32], attempt: Int) {
        let directory = context.directory(on: ex.loop)
        let stores = context.stores(on: ex.loop)
        directory.allocate(bucket: upload.bucket.name, filename: upload.name, mime: upload.mime, excludedVolumes: excluded) { result in
            switch result {
            case .failure(let failure):
                upload.body.release()
                ex.fail(failure)
            case .success(let allocation):
                ReplicaWriter(stores: stores, lagTimeout: UInt64(context.settings.storeHeadTimeout.wholeMilliseconds)).write(allocation, chunks: upload.body.chunks) { acknowledged, failure in
                    if let failure {
                        directory.abort(key: allocation.key)
                        for store in acknowledged { stores.delete(on: store, key: allocation.key, vid: allocation.vid) }
                        guard attempt == 1 else {
                            upload.body.release()
                            return ex.fail(ProxyFailure(failure.status, "replica write failed twice: \(failure.message)", code: failure.code))
                        }
                        context.metrics.uploadRetries.increment()
                        return store(ex, upload, excluded: excluded + [allocation.vid], attempt: attempt + 1)
                    }
                    commit(ex, upload, allocation, directory: directory)
                }
            }
        }
    }

    private func commit(_ ex: ProxyExchange, _ upload: Upload, _ allocation: AllocationRecord, directory: DirectoryClient) {
        let size = Int64(upload.body.size)
        let mtime = Int64((Date().timeIntervalSince1970 * 1e9).rounded(.down))
        upload.body.release()
        directory.commit(key: allocation.key, sha1: upload.sha1, size: size, mtime: mtime, mime: upload.mime,
                         expecting: upload.expecting) { [context] result in
            context.files.invalidate(bucket: upload.bucket.name, filename: upload.name)
            switch result {
            case .failure(let failure):
                directory.abort(key: allocation.key)
                if failure.status == .preconditionFailed {
                    let stores = context.stores(on: ex.loop)
                    for store in allocation.stores { stores.delete(on: store, key: allocation.key, vid: allocation.vid) }
                }
                ex.fail(failure)
            case .success(let created):
                let status: HTTPStatus = created ? .created : .ok
                var headers = WriteResponseHeaders.stored(status: status, sha1: upload.sha1,
                                                          location: location(ex, bucket: upload.bucket, filename: upload.name))
                headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
                ex.respond(status: status, headers: headers, body: .bytes(Array("\(created ? "created" : "replaced") \(upload.name)\n".utf8)))
            }
        }
    }

    /// The public URL of a stored file: the bucket's domain, else the configured one, else the
    /// request's `Host`.
    private func location(_ ex: ProxyExchange, bucket: Bucket, filename: String) -> String {
        var domain = !bucket.domain.isEmpty ? bucket.domain : context.settings.domain
        if domain.isEmpty { domain = ex.head.headers["Host"] ?? "\(context.settings.listen)" }
        if !domain.hasPrefix("http://") && !domain.hasPrefix("https://") { domain = "http://" + domain }
        return WriteResponseHeaders.location(domain: domain, prefix: context.settings.prefix, bucket: bucket.name, filename: filename)
    }
}
