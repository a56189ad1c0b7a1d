import Foundation

/// A response read by `TestHTTPClient`.
public struct TestHTTPResponse {
    /// The status code of the status line.
    public var status: Int
    /// Header fields in wire order, values trimmed.
    public var headers: [(String, String)]
    /// The body, de-chunked.
    public var body: [UInt8]

    /// A response from its parts.
    public init(status: Int, headers: [(String, String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as a JSON object (empty when it is not one).
    public var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }

    /// The bfs `ret` field of a JSON reply, or nil.
    public var ret: Int? { (json["ret"] as? NSNumber)?.intValue }
}
