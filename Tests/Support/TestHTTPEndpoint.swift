import Foundation

/// An HTTP server address for one-shot requests: each call opens a `TestHTTPClient`, sends one
/// request with `Connection: close` and reads the answer (for tests of a whole process, where
/// keep-alive is not the point).
public struct TestHTTPEndpoint: Sendable {
    /// Numeric host (or "localhost").
    public let host: String
    /// TCP port.
    public let port: Int
    /// Receive/send time-out of each request's socket.
    public var timeoutSeconds = 20

    /// The endpoint `host:port`.
    public init(host: String = "127.0.0.1", port: Int) {
        self.host = host
        self.port = port
    }

    /// `GET target`.
    public func get(_ target: String, headers: [(String, String)] = []) throws -> TestHTTPResponse {
        try request("GET", target, headers: headers)
    }

    /// The sum of the Prometheus series at `target` whose line starts with `prefix` (0 when
    /// none does), e.g. `bfs_proxy_responses_total{method="GET",` for every class of GET answers.
    public func metric(_ prefix: String, target: String = "/metrics") throws -> Double {
        try get(target).text.split(separator: "\n")
            .filter { $0.hasPrefix(prefix) }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
            .reduce(0, +)
    }

    /// `HEAD target` (no body is read).
    public func head(_ target: String) throws -> TestHTTPResponse { try request("HEAD", target) }

    /// `POST` of an urlencoded form.
    public func postForm(_ target: String, _ fields: [(String, String)]) throws -> TestHTTPResponse {
        let body = fields.map { "\(Self.percent($0.0))=\(Self.percent($0.1))" }.joined(separator: "&")
        return try request("POST", target, headers: [("Content-Type", "application/x-www-form-urlencoded")],
                           body: Array(body.utf8))
    }

    /// `POST` of a multipart form: text `fields`, then `files` (filename "1.jpg").
    public func postMultipart(_ target: String, fields: [(String, String)],
                              files: [(name: String, data: [UInt8])]) throws -> TestHTTPResponse {
        let boundary = "bfs-test-\(UInt64.random(in: 0...UInt64.max))"
        var body: [UInt8] = []
        for (k, v) in fields {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(k)\"\r\n\r\n\(v)\r\n".utf8)
        }
        for f in files {
            body += Array(("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(f.name)\"; filename=\"1.jpg\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n").utf8)
            body += f.data + Array("\r\n".utf8)
        }
        body += Array("--\(boundary)--\r\n".utf8)
        return try request("POST", target, headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")],
                           body: body)
    }

    /// Sends one request on a fresh connection and reads the whole answer.
    public func request(_ method: String, _ target: String, headers: [(String, String)] = [],
                        body: [UInt8] = []) throws -> TestHTTPResponse {
        let client = try TestHTTPClient(host: host, port: port, timeoutSeconds: timeoutSeconds)
        return try client.request(method, target, headers: [("Connection", "close")] + headers, body: body)
    }

    private static func percent(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s
    }
}
