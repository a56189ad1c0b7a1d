/// Why a `bfs put|get|head|rm|ls` call failed, each with an explanation that says what to do.
public enum ClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A `BUCKET/NAME` argument that cannot name a file (carries why).
    case badPath(String)
    /// An endpoint that is not `http://host:port` (carries the text).
    case badEndpoint(String)
    /// The operation needs a bucket key and none was given (carries the operation).
    case credentialsNeeded(String)
    /// 401: the proxy refused the request's token, or a token was needed and none was sent.
    case unauthorized(signed: Bool, detail: String)
    /// 404: no such bucket, or no such file in it.
    case notFound(bucket: String, name: String, detail: String)
    /// 413: the file is larger than the proxy's `max_file_size` (or its name too long).
    case tooLarge(detail: String)
    /// Nothing listens at the endpoint.
    case connectionRefused(endpoint: String)
    /// The proxy could not be reached or the exchange broke (carries the transport's words).
    case unreachable(endpoint: String, reason: String)
    /// Any other non-success status, with the proxy's reason.
    case status(code: Int, detail: String)
    /// The body ended before its announced length.
    case incomplete(received: Int, expected: Int)
    /// The downloaded body's SHA-1 is not the one the `ETag` promised.
    case checksumMismatch(expected: String, actual: String)
    /// The proxy stored content with another SHA-1 than the file that was sent.
    case uploadMismatch(sent: String, stored: String)
    /// The proxy answered something this client cannot read (carries what).
    case badResponse(String)
    /// A local file could not be read or written (carries the path and the system's words).
    case localFile(path: String, reason: String)

    /// The explanation printed on stderr: what happened, then what to do about it.
    public var description: String {
        switch self {
        case .badPath(let why):
            return "\(why) (expected BUCKET/NAME, e.g. default/cat.jpg)"
        case .badEndpoint(let text):
            return "bad endpoint \"\(text)\": expected http://HOST:PORT (--endpoint or BFS_ENDPOINT)"
        case .credentialsNeeded(let operation):
            return "\(operation) needs the bucket's key: give --key-id and --secret (or set BFS_KEY_ID and "
                + "BFS_SECRET); `bfs up` prints the key of bucket default at its first start"
        case .unauthorized(let signed, let detail):
            let why = detail.isEmpty ? "" : " (\(detail))"
            if !signed {
                return "401 Unauthorized\(why): the bucket is not public-read, so this needs its key: give --key-id "
                    + "and --secret (or BFS_KEY_ID and BFS_SECRET); `bfs up` prints the key"
            }
            return "401 Unauthorized\(why): the proxy refused the token. Either the key id or secret is wrong "
                + "(`bfs up` prints the key of bucket default; `bfs bucket list` shows every key), or this "
                + "machine's clock is more than 15 minutes off the proxy's"
        case .notFound(let bucket, let name, let detail):
            let why = detail.isEmpty ? "" : " (\(detail))"
            let what = name.isEmpty ? "no bucket \"\(bucket)\"" : "no bucket \"\(bucket)\" or no file \"\(name)\" in it"
            return "404 Not Found\(why): \(what)"
        case .tooLarge(let detail):
            let why = detail.isEmpty ? "" : " (\(detail))"
            return "413 Content Too Large\(why): the file is larger than the proxy's max_file_size "
                + "(or its name is longer than 100 bytes)"
        case .connectionRefused(let endpoint):
            return "cannot connect to \(endpoint): connection refused. Is `bfs up` or `bfs proxy` running "
                + "there? Point --endpoint (or BFS_ENDPOINT) at the proxy"
        case .unreachable(let endpoint, let reason):
            return "the proxy at \(endpoint) failed: \(reason)"
        case .status(let code, let detail):
            let why = detail.isEmpty ? "" : ": \(detail)"
            let hint = code >= 500 ? " (a proxy or store problem; the proxy's log says more; try again)" : ""
            return "the proxy answered \(code)\(why)\(hint)"
        case .incomplete(let received, let expected):
            return "the download broke after \(received) of \(expected) bytes; nothing was kept, try again"
        case .checksumMismatch(let expected, let actual):
            return "the downloaded bytes have SHA-1 \(actual), not \(expected) as the ETag says; nothing was kept"
        case .uploadMismatch(let sent, let stored):
            return "the proxy stored SHA-1 \(stored) but the file read had \(sent): the bytes changed on the way "
                + "or the file changed while it was read; upload it again"
        case .badResponse(let what):
            return "unexpected answer from the proxy: \(what)"
        case .localFile(let path, let reason):
            return "\(path): \(reason)"
        }
    }

    /// The error an HTTP error status means, for a request to `bucket`/`name`.
    ///
    /// - Parameters:
    ///   - signed: whether the request carried a token (a 401 then means a wrong key).
    ///   - body: the proxy's short reason text.
    public static func forStatus(_ code: Int, body: String, bucket: String, name: String, signed: Bool) -> ClientError {
        let detail = body.trimmingWhitespace()
        switch code {
        case 401: return .unauthorized(signed: signed, detail: detail)
        case 404: return .notFound(bucket: bucket, name: name, detail: detail)
        case 413: return .tooLarge(detail: detail)
        default: return .status(code: code, detail: detail)
        }
    }
}

extension String {
    /// The text without leading and trailing spaces, tabs and line breaks, cut to one short line.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        let trimmed = String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
        let oneLine = trimmed.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).joined(separator: " ")
        return oneLine.count > 200 ? String(oneLine.prefix(200)) + "…" : oneLine
    }
}
