import BFSCore
import BFSHTTP
import BFSLoop
import BFSStorage

/// `POST /del` with an urlencoded body `key`, `vid` (reference/bfs-v1.md §1.9): `{"ret":1}`, or
/// 65533 (rate limited), 65534 (bad parameter), 8001 (no such volume), 5001 (no such needle),
/// 5010 (already deleted).
///
/// Fixes bfs §6 item 2: the answer waits for the flag byte to be durable (`Volume.delete`
/// completes after the group-committed `fdatasync`), so an acknowledged delete survives a crash.
/// bfs read the body only (`PostFormValue`); we read the body first and fall back to the query
/// string, so every bfs client still works and `curl -X POST '/del?vid=1&key=2'` does too. The
/// flag write takes the volume's append lock, so it runs on the libuv pool, not on the loop.
struct APIDeleteHandler: Sendable {
    /// Bound on the urlencoded body: two numbers need a few dozen bytes; 64 KiB is generous.
    static let maxBodySize = 64 * 1024

    let context: StoreContext

    func handle(_ ex: HTTPServerExchange) {
        let start = monotonicNanos()
        if let limit = context.deleteLimit, !limit.allow(nowNanos: start) {
            return APIReplies.afterDrainingBody(ex) { answer(ex, .serviceUnavailable, start: start, limited: true) }
        }
        ex.collectBody(limit: Self.maxBodySize) { result in
            guard case .success(let body) = result else { return }  // the server answers 413 or the client left
            let parsed = body.withUnsafeBytes { b in Result { () throws(FormDataError) in try QueryString.parse(bytes: b) } }
            guard case .success(let bodyFields) = parsed, let query = try? QueryString.parse(ex.head.query) else {
                return answer(ex, .paramError, start: start)
            }
            let fields = bodyFields.merging(query)
            guard let key = APIParameter.int64(fields.first("key")), let vid = APIParameter.int32(fields.first("vid")) else {
                return answer(ex, .paramError, start: start)
            }
            guard let volume = context.volumes.volume(vid) else { return answer(ex, .volumeNotExist, start: start) }
            let handler = self
            ex.loop.run(on: context.executors.writes, {
                volume.delete(key: key) { result in
                    switch result {
                    case .success:
                        let nanos = monotonicNanos() - start
                        handler.context.stats.didDelete(nanos: nanos)
                        handler.context.stats(of: vid).didDelete(nanos: nanos)
                        handler.answer(ex, .ok, start: start)
                    case .failure(let error):
                        handler.answer(ex, error.ret, start: start)
                    }
                }
            }, then: { queued in
                guard case .failure(let error) = queued else { return }
                if (error as? UVError)?.isExecutorSaturated == true {
                    handler.answer(ex, .serviceUnavailable, status: .serviceUnavailable, start: start)
                } else {
                    handler.answer(ex, .internalError, start: start)
                }
            })
        }
    }

    /// Sends `{"ret":N}` (from any thread) and counts the request.
    private func answer(_ ex: HTTPServerExchange, _ ret: Ret, status: HTTPStatus = .ok, start: UInt64, limited: Bool = false) {
        let metrics = context.metrics
        let metricStatus = status == .ok ? APIReplies.statusClass(ret) : status.code
        APIReplies.json(ex, ret: ret, status: status) { _ in
            metrics.record(.del, status: metricStatus, limited: limited, elapsedNanos: monotonicNanos() - start)
        }
    }
}
