/// The parsed start line and headers of one request, as a handler sees them.
public struct HTTPRequestHead: Sendable {
    /// The method token.
    public var method: HTTPMethod
    /// The request target as sent (origin form "/path?query", or absolute form).
    public var uri: String
    /// The path part of the target, not percent-decoded.
    public var path: String
    /// The raw query (after `?`, before `#`), not decoded; empty when absent.
    public var query: String
    /// Headers in order, looked up case-insensitively.
    public var headers: HTTPHeaders
    /// HTTP major version (1).
    public var versionMajor: Int
    /// HTTP minor version (0 or 1).
    public var versionMinor: Int
    /// Whether the client wants the connection kept open (version default and `Connection`).
    public var keepAlive: Bool
    /// The declared body length, nil for chunked bodies; 0 when there is no body.
    public var contentLength: Int?
    /// Whether the body uses chunked transfer coding.
    public var isChunked: Bool

    /// Whether the request carries body bytes (chunked, or a positive length).
    public var hasBody: Bool { isChunked || (contentLength ?? 0) > 0 }

    /// Whether the client sent `Expect: 100-continue` and waits before sending the body.
    public var expectsContinue: Bool {
        guard versionMajor == 1, versionMinor >= 1, let e = headers["Expect"] else { return false }
        return HTTPHeaders.sameName(e, "100-continue")
    }

    /// Splits a request target into path and raw query.
    static func split(uri: String) -> (path: String, query: String) {
        // The usual origin form without a fragment: one scan of the UTF-8 bytes, no Characters.
        let bytes = uri.utf8
        if bytes.first == UInt8(ascii: "/"), !bytes.contains(UInt8(ascii: "#")) {
            guard let q = bytes.firstIndex(of: UInt8(ascii: "?")) else { return (uri, "") }
            return (String(Substring(bytes[..<q])), String(Substring(bytes[bytes.index(after: q)...])))
        }
        var target = Substring(uri)
        if let hash = target.firstIndex(of: "#") { target = target[..<hash] }
        // Absolute form (http://host/path) is sent to proxies; keep only the path and query.
        if !target.hasPrefix("/"), let colon = target.firstIndex(of: ":"),
           target[target.index(after: colon)...].hasPrefix("//") {
            let rest = target[target.index(colon, offsetBy: 3)...]
            target = rest.firstIndex(where: { $0 == "/" || $0 == "?" }).map { rest[$0...] } ?? "/"
        }
        guard let q = target.firstIndex(of: "?") else { return (String(target), "") }
        return (String(target[..<q]), String(target[target.index(after: q)...]))
    }
}
