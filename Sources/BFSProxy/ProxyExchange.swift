import BFSCore
import BFSHTTP
import BFSLoop

/// One public request as the proxy's handlers see it: the server exchange plus the metrics
/// bookkeeping every answer needs (one latency and status-class sample per request).
final class ProxyExchange: @unchecked Sendable {
    /// The server's exchange.
    let raw: HTTPServerExchange
    /// The shared context.
    let context: ProxyContext
    /// The series this request counts under.
    let method: ProxyMetrics.Method
    private let start = monotonicNanos()
    private var recorded = false

    init(_ raw: HTTPServerExchange, context: ProxyContext, method: ProxyMetrics.Method) {
        self.raw = raw
        self.context = context
        self.method = method
    }

    /// The request head.
    var head: HTTPRequestHead { raw.head }
    /// The connection's loop (every callback of this request runs on it).
    var loop: EventLoop { raw.loop }

    /// Counts the answer once.
    func record(_ status: HTTPStatus) {
        guard !recorded else { return }
        recorded = true
        context.metrics.record(method, status: status.code, elapsedNanos: monotonicNanos() &- start)
    }

    /// Sends `failure` as text with its `Code` header; `headers` are added (e.g. `Retry-After`).
    func fail(_ failure: ProxyFailure, headers extra: HTTPHeaders = HTTPHeaders()) {
        var headers: HTTPHeaders = ["Content-Type": "text/plain; charset=utf-8", "Code": String(failure.code)]
        for (name, value) in extra { headers.add(name: name, value: value) }
        respond(status: failure.status, headers: headers, body: .bytes(Array((failure.message + "\n").utf8)))
    }

    /// Sends a complete answer.
    func respond(status: HTTPStatus, headers: HTTPHeaders, body: HTTPResponseBody = .empty) {
        record(status)
        raw.respond(status: status, headers: headers, body: body)
    }

    /// Starts an answer of exactly `length` body bytes pushed by the caller; the head goes out
    /// with the first body piece (one write for a small file).
    func respondStreaming(status: HTTPStatus, headers: HTTPHeaders, length: Int) -> HTTPResponseStream? {
        record(status)
        return raw.respondStreaming(status: status, headers: headers, length: length, holdingHead: true)
    }
}
