/// The status line and headers of a response the client received.
public struct HTTPClientResponseHead: Equatable, Sendable {
    /// The status code and its reason phrase as this module names it.
    public var status: HTTPStatus
    /// The minor HTTP version: 1 for HTTP/1.1, 0 for HTTP/1.0.
    public var minorVersion: Int
    /// Header lines in order, names as sent, values trimmed.
    public var headers: [FormFields.Pair]

    /// A head from parts (for tests).
    public init(status: HTTPStatus, minorVersion: Int = 1, headers: [FormFields.Pair] = []) {
        self.status = status
        self.minorVersion = minorVersion
        self.headers = headers
    }

    /// The first value of header `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { HTTPHeaders.sameName($0.name, name) }?.value
    }

    /// Whether the server lets the connection carry another request (RFC 9112 §9.3).
    public var allowsKeepAlive: Bool {
        guard let connection = header("connection") else { return minorVersion != 0 }
        let tokens = connection.lowercased().split(separator: ",").map {
            MultipartHeaderValue.trimmed(Array($0.utf8)[...])
        }
        if minorVersion == 0 { return tokens.contains("keep-alive") }
        return !tokens.contains("close")
    }
}

/// A whole response with its body gathered in memory (for small answers such as bfs JSON).
public struct HTTPClientResponse: Sendable {
    /// Status line and headers.
    public var head: HTTPClientResponseHead
    /// The body bytes, de-chunked.
    public var body: [UInt8]

    /// The status code.
    public var status: HTTPStatus { head.status }

    /// The body decoded as UTF-8 (invalid bytes repaired).
    public var text: String { String(decoding: body, as: UTF8.self) }
}
