import BFSCore
import BFSHTTP

/// The two reply shapes of the bfs store API (reference/bfs-v1.md §1.9).
///
/// - JSON endpoints (`/upload`, `/uploads`, `/del`) answer `{"ret":N}` with HTTP 200 whatever the
///   outcome, because bfs clients (the proxy) read `ret`, not the status. The one exception is a
///   body that is not well-formed multipart at all: bfs panicked on it (§6 item 22); we answer
///   400 with `{"ret":65534}`, which an old client still reads as "bad parameter".
/// - Raw endpoints (`/get`) carry the outcome in the status; an error body is the message plus a
///   newline as `text/plain; charset=utf-8`, as Go's `http.Error` writes it.
enum APIReplies {
    /// bfs's JSON content type, byte for byte (no space after the semicolon).
    static let jsonContentType = "application/json;charset=utf-8"
    /// Go `http.Error`'s content type.
    static let textContentType = "text/plain; charset=utf-8"

    /// Answers a JSON endpoint with `{"ret":N}`; `completion` runs once the answer is out.
    static func json(_ ex: HTTPServerExchange, ret: Ret, status: HTTPStatus = .ok,
                     completion: (@Sendable (HTTPError?) -> Void)? = nil) {
        ex.respond(status: status, headers: jsonHeaders, body: .bytes(jsonBody(ret)), completion: completion)
    }

    /// The header list of every JSON answer, built once (copies share its storage).
    static let jsonHeaders: HTTPHeaders = ["Content-Type": jsonContentType]

    /// Most unread body bytes discarded to keep a connection alive after an early refusal (Go's
    /// server drains the same 256 KiB after a handler returns).
    static let drainLimit = 256 * 1024

    /// Runs `answer` once a small request body has been read and dropped, so a refusal that
    /// needs no body (rate limit, wrong content type) keeps the connection open; a larger or
    /// chunked body is not worth reading and the server closes after the early answer.
    static func afterDrainingBody(_ ex: HTTPServerExchange, _ answer: @escaping () -> Void) {
        guard ex.head.hasBody, let length = ex.head.contentLength, length <= drainLimit else { return answer() }
        ex.readBody(onChunk: { _ in }, onEnd: { _ in answer() })
    }

    /// The HTTP status a JSON answer counts as in the metrics (the wire status is 200): client
    /// mistakes as 400, everything the store itself failed at as 500.
    static func statusClass(_ ret: Ret) -> Int {
        switch ret {
        case .ok: 200
        case .paramError, .needleTooLarge, .uploadMaxFile, .volumeNotExist, .needleNotExist, .needleDeleted,
             .serviceUnavailable: 400
        default: 500
        }
    }

    /// The exact bytes `{"ret":N}`.
    static func jsonBody(_ ret: Ret) -> [UInt8] {
        ret == .ok ? okBody : Array("{\"ret\":\(ret.rawValue)}".utf8)
    }

    /// `{"ret":1}`, built once: the answer to nearly every upload and delete.
    private static let okBody = Array("{\"ret\":1}".utf8)

    /// Answers a raw endpoint with an error status and `message` + newline (empty message: empty
    /// body, as bfs's rate-limit 503).
    static func text(_ ex: HTTPServerExchange, status: HTTPStatus, message: String,
                     headers extra: HTTPHeaders = HTTPHeaders(), completion: (@Sendable (HTTPError?) -> Void)? = nil) {
        var headers = extra
        headers.add(name: "Content-Type", value: textContentType)
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        let body: HTTPResponseBody = message.isEmpty ? .empty : .bytes(Array((message + "\n").utf8))
        ex.respond(status: status, headers: headers, body: body, completion: completion)
    }

    /// bfs's message for a `ret` code (`libs/errors/errors.go:errorMsg`), used as the text of
    /// raw-endpoint errors; codes a store never answers fall back to the number.
    static func message(_ ret: Ret) -> String {
        switch ret {
        case .needleNotExist: "needle not exist"
        case .needleDeleted: "needle deleted"
        case .needleCookie: "needle cookie not match"
        case .needleKey: "needle key not match"
        case .needleChecksum: "needle data checksum not match"
        case .needleHeaderMagic: "needle header magic not match"
        case .needleFooterMagic: "needle footer magic not match"
        case .needleFlag: "needle flag not match"
        case .needleSize: "needle size error"
        case .needlePadding: "needle padding not match"
        case .needleDataSize: "needle data size error"
        case .volumeNotExist: "volume not exist"
        case .volumeClosed: "volume closed"
        case .serviceUnavailable: "service unavailable"
        case .paramError: "param error"
        case .internalError: "internal error"
        default: "error \(ret.rawValue)"
        }
    }
}

/// Reads bfs's numeric parameters the way Go's `strconv.ParseInt(s, 10, bits)` does: optional
/// sign, decimal digits only, in range; anything else (empty, spaces, hex, overflow) is nil.
enum APIParameter {
    /// A 32-bit parameter (`vid`, `cookie`).
    static func int32(_ text: String?) -> Int32? {
        guard let text, let value = Int32(text, radix: 10) else { return nil }
        return value
    }

    /// A 64-bit parameter (`key`).
    static func int64(_ text: String?) -> Int64? {
        guard let text, let value = Int64(text, radix: 10) else { return nil }
        return value
    }
}
