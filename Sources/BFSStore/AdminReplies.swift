import BFSCore
import BFSHTTP

/// Answers and parameters of the admin listener (reference/bfs-v1.md §1.9 reply conventions).
enum AdminReplies {
    /// Largest urlencoded admin body read (admin parameters are a few short values).
    static let maxBodySize = 64 << 10

    /// Reads the parameters as Go's `FormValue`: the urlencoded body's values win over the
    /// query's. `done(nil)` when the query or body is malformed (answered as bad parameters).
    static func readParameters(_ ex: HTTPServerExchange, _ done: @escaping (FormFields?) -> Void) {
        guard let query = try? QueryString.parse(ex.head.query) else { return done(nil) }
        guard ex.head.hasBody else { return done(query) }
        let urlencoded = (ex.head.headers["Content-Type"] ?? "").lowercased().hasPrefix("application/x-www-form-urlencoded")
        ex.collectBody(limit: maxBodySize) { result in
            guard case .success(let body) = result else { return done(nil) }
            guard urlencoded else { return done(query) }
            let fields = body.withUnsafeBytes { try? QueryString.parse(bytes: $0) }
            guard let fields else { return done(nil) }
            done(fields.merging(query))
        }
    }

    /// A bfs JSON answer `{"ret":N,...}` (HTTP 200); `extra` is pre-encoded `,"k":v` text.
    static func json(_ ex: HTTPServerExchange, _ context: StoreContext, _ endpoint: StoreMetrics.Endpoint?,
                     start: UInt64, ret: Int, extra: String = "") {
        let body = Array("{\"ret\":\(ret)\(extra)}".utf8)
        ex.respond(status: .ok, headers: ["Content-Type": "application/json;charset=utf-8"], body: .bytes(body))
        // The HTTP status is always 200; the metric's class follows the `ret` (65535 is a server fault).
        let status = ret == Ret.ok.rawValue ? 200 : ret == Ret.internalError.rawValue ? 500 : 400
        if let endpoint { context.metrics.record(endpoint, status: status, elapsedNanos: monotonicNanos() &- start) }
    }

    /// A raw answer: the status carries the result, an error body is its text plus a newline.
    static func status(_ ex: HTTPServerExchange, _ context: StoreContext, _ endpoint: StoreMetrics.Endpoint?,
                       start: UInt64, _ status: HTTPStatus, _ message: String = "") {
        let body: HTTPResponseBody = message.isEmpty ? .empty : .bytes(Array((message + "\n").utf8))
        let headers: HTTPHeaders = message.isEmpty ? [:] : ["Content-Type": "text/plain; charset=utf-8"]
        ex.respond(status: status, headers: headers, body: body)
        if let endpoint { context.metrics.record(endpoint, status: status.code, elapsedNanos: monotonicNanos() &- start) }
    }

    /// The bfs `ret` of any error: its own when it has one, else 65535 (as bfs's HttpPostWriter).
    static func ret(of error: any Error) -> Int {
        (error as? any RetConvertible)?.ret.rawValue ?? Ret.internalError.rawValue
    }

    /// A JSON string literal for `text` (quotes, backslashes and control bytes escaped).
    static func quoted(_ text: String) -> String { JSONText.quoted(text) }

    /// Splits `host:port` (`[v6]:port` too); nil when malformed.
    static func hostPort(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (1...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }
}
