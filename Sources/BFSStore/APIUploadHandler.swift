import BFSCore
import BFSHTTP
import BFSLoop
import BFSStorage

/// `POST /upload` (fields `vid`, `key`, `cookie`, file part `file`) and `POST /uploads` (`vid`,
/// repeated `keys`, `cookies` and `file` parts), bfs-compatible (reference/bfs-v1.md §1.9) with
/// its bugs fixed (§6 items 1, 7, 22):
///
/// - the body is parsed as it streams in and the file bytes are kept as they arrive; a file past
///   `needleMaxSize` is refused with 5011 at that point, and a declared Content-Length that
///   cannot fit is refused with 5011 before any body byte is read (bfs measured the whole
///   request without allowance for multipart framing; we allow `APIUploadBody.framing…`);
/// - chunked bodies are accepted (bfs answered 65535);
/// - `{"ret":1}` is sent only once the needles are on stable storage (`Volume.append` completes
///   after the group-committed `fdatasync`);
/// - `/uploads` enforces `batchMaxFiles` with ret 2000 (`RetUploadMaxFile`, the code bfs defined
///   for exactly this and never used), and writes all needles with one `pwrite` and one sync, so
///   the batch is acknowledged all or nothing;
/// - a body that is not well-formed multipart answers HTTP 400 with `{"ret":65534}` (bfs
///   panicked on a non-multipart `/uploads`); every other outcome is HTTP 200 with a `ret`.
///
/// Parameters may come from the body or the query string (Go `FormValue`; the body wins).
/// The file is encoded as a needle while it streams in; the append (`pwrite` under the volume's
/// append lock, which another upload may hold for a 10 MiB write) runs on the volume's append
/// thread (`Volume.submit`), never on the loop.
struct APIUploadHandler: Sendable {
    let context: StoreContext
    /// `/uploads` rather than `/upload`.
    let batch: Bool

    private var endpoint: StoreMetrics.Endpoint { batch ? .uploads : .upload }

    func handle(_ ex: HTTPServerExchange) {
        let start = monotonicNanos()
        if let limit = context.writeLimit, !limit.allow(nowNanos: start) {
            return APIReplies.afterDrainingBody(ex) { answer(ex, .serviceUnavailable, start: start, limited: true) }
        }
        let maxFileSize = Int(context.settings.needleMaxSize)
        let maxFiles = batch ? context.settings.batchMaxFiles : 1
        if let declared = ex.head.contentLength,
           declared > maxFiles * (maxFileSize + APIUploadBody.framingPerFile) + APIUploadBody.framingFields {
            return answer(ex, .needleTooLarge, start: start)
        }
        let uploads = context.loopUploads.of(ex.loop, metrics: context.metrics)
        let body: APIUploadBody
        do {
            body = try APIUploadBody(contentType: ex.head.headers["Content-Type"] ?? "", maxFileSize: maxFileSize,
                                     maxFiles: maxFiles, skipExtraFiles: !batch,
                                     sizeHint: batch ? 0 : ex.head.contentLength ?? 0,
                                     exchange: ex, start: start, handler: self)
        } catch {
            return APIReplies.afterDrainingBody(ex) { answer(ex, .paramError, status: .badRequest, start: start) }
        }
        body.uploads = uploads
        // Each callback captures only `body`, which carries the exchange, the start and the handler.
        ex.readBody(onChunk: { [body] chunk in body.handler.didReceive(chunk, of: body) },
                    onEnd: { [body] error in body.handler.didEnd(body, error: error) })
    }

    /// The next piece of the body.
    private func didReceive(_ chunk: UnsafeRawBufferPointer, of body: APIUploadBody) {
        guard !body.isFinished else { return }
        do {
            try body.feed(chunk)
        } catch {
            body.isFinished = true
            refuse(body.exchange, error, start: body.start)
        }
    }

    /// The body ended (or broke off with `error`): check the fields and append the files.
    private func didEnd(_ body: APIUploadBody, error: HTTPError?) {
        guard !body.isFinished else { return }
        body.isFinished = true
        let (ex, start) = (body.exchange, body.start)
        if error != nil { return answer(ex, .paramError, status: .badRequest, start: start) }
        do {
            var parsed = try body.finish()
            store(body, fields: parsed.fields, files: &parsed.files)
        } catch {
            refuse(ex, error, start: start)
        }
    }

    /// Answers a body the parser or the size limits refused.
    private func refuse(_ ex: HTTPServerExchange, _ error: any Error, start: UInt64) {
        switch error {
        case APIUploadError.fileTooLarge, FormDataError.partTooLarge:
            answer(ex, .needleTooLarge, start: start)
        case APIUploadError.tooManyFiles:
            answer(ex, .uploadMaxFile, start: start)
        case FormDataError.fieldTooLarge, FormDataError.tooManyParts:
            answer(ex, .paramError, start: start)
        case is FormDataError:
            answer(ex, .paramError, status: .badRequest, start: start)
        default:
            answer(ex, .internalError, start: start)
        }
    }

    /// Checks the parameters against the files (already encoded as needles) and appends them.
    /// `needles` is taken in place (inout) so that setting the headers does not copy the bytes.
    private func store(_ body: APIUploadBody, fields bodyFields: FormFields, files needles: inout NeedleBatch) {
        let (ex, start) = (body.exchange, body.start)
        let fields: FormFields
        if ex.head.query.isEmpty {
            fields = bodyFields
        } else {
            guard let query = try? QueryString.parse(ex.head.query) else { return answer(ex, .paramError, start: start) }
            fields = bodyFields.merging(query)
        }
        guard let vid = APIParameter.int32(fields.first("vid")) else { return answer(ex, .paramError, start: start) }
        if batch {
            let keys = fields.all("keys"), cookies = fields.all("cookies")
            guard needles.count > 0, keys.count == needles.count, cookies.count == needles.count else {
                return answer(ex, .paramError, start: start)
            }
            for i in 0..<needles.count {
                guard let key = APIParameter.int64(keys[i]), let cookie = APIParameter.int32(cookies[i]) else {
                    return answer(ex, .paramError, start: start)
                }
                needles.setHeader(i, key: key, cookie: cookie)
            }
        } else {
            guard let key = APIParameter.int64(fields.first("key")),
                  let cookie = APIParameter.int32(fields.first("cookie"))
            else { return answer(ex, .paramError, start: start) }
            guard needles.count > 0 else { return answer(ex, .internalError, start: start) }
            needles.setHeader(0, key: key, cookie: cookie)
        }
        guard let entry = LoopVolumeCache.entry(vid, in: context) else { return answer(ex, .volumeNotExist, start: start) }
        let volume = entry.volume
        body.appended = (entry, needles.dataBytes, needles.count)
        guard body.uploads != nil else { return answer(ex, .internalError, start: start) }
        // Handed to the volume's append thread without a pool hop (it is woken only if it
        // sleeps; everything submitted meanwhile goes out with the next `pwritev`). The
        // completion runs on a flusher lane after the covering fdatasync and queues the answer
        // for the loop (`UploadAnswers`: one loop wake-up for the answers of a synced batch).
        let accepted = volume.submit(needles) { [body] result in body.handler.didAppend(body, result) }
        // A full append queue: 503 at once rather than a deeper backlog.
        guard accepted else { return answer(ex, .serviceUnavailable, status: .serviceUnavailable, start: start) }
    }

    /// The append is durable or failed (on a flusher lane): queues the answer, which the loop
    /// counts in `/info` (its shards' only writer) just before sending it.
    private func didAppend(_ body: APIUploadBody, _ result: Result<[NeedleLocation], StorageError>) {
        var answer = UploadAnswers.Answer(exchange: body.exchange, ret: .ok, endpoint: endpoint, start: body.start)
        switch result {
        case .success:
            if let appended = body.appended {
                context.metrics.bytesWritten.increment(by: Int64(appended.bytes))
                answer.counted = appended
            }
        case .failure(let error):
            answer.ret = error.ret
        }
        body.uploads?.answers.add(answer)
    }

    /// Sends `{"ret":N}` and counts the request (loop thread: the answer is queued to the socket
    /// at once, so it is counted right after).
    private func answer(_ ex: HTTPServerExchange, _ ret: Ret, status: HTTPStatus = .ok, start: UInt64, limited: Bool = false) {
        let metricStatus = status == .ok ? APIReplies.statusClass(ret) : status.code
        APIReplies.json(ex, ret: ret, status: status)
        context.metrics.record(endpoint, status: metricStatus, limited: limited, elapsedNanos: monotonicNanos() - start)
    }
}
