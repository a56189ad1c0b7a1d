/// Where the proxy is and how its public paths start: `http://HOST:PORT` plus the path prefix
/// (DESIGN §7; default `/bfs/`).
///
/// | Piece | Form | Example |
/// |---|---|---|
/// | endpoint | `http://HOST:PORT`, `http://[IPv6]:PORT` or `HOST:PORT` (port 80 when absent with `http://`) | `http://127.0.0.1:2232` |
/// | prefix | normalised to start and end with `/` (`bfs` -> `/bfs/`, empty -> `/`) | `/bfs/` |
/// | file target | prefix, bucket, `/`, filename, each byte outside RFC 3986 `pchar` and `/` percent-encoded | `/bfs/default/a%20b.jpg` |
public struct ClientEndpoint: Equatable, Sendable {
    /// The proxy's host name or address (no brackets).
    public var host: String
    /// The proxy's port.
    public var port: Int
    /// The path prefix, starting and ending with `/`.
    public var prefix: String

    /// The default endpoint (the proxy's default listener).
    public static let defaultURL = "http://127.0.0.1:2232"

    /// Parses `url` (`http://host:port`, no path) and normalises `prefix`.
    public init(url: String, prefix: String = "/bfs/") throws(ClientError) {
        var rest = Substring(url)
        var defaultPort: Int? = nil
        if rest.hasPrefix("http://") {
            rest = rest.dropFirst("http://".count)
            defaultPort = 80
        } else if rest.contains("://") {
            throw .badEndpoint(url)
        }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains("/") else { throw .badEndpoint(url) }
        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw .badEndpoint(url) }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .badEndpoint(url) }
                portText = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        guard !host.isEmpty else { throw .badEndpoint(url) }
        let port: Int
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else { throw .badEndpoint(url) }
            port = value
        } else if let defaultPort {
            port = defaultPort
        } else {
            throw .badEndpoint(url)
        }
        self.host = String(host)
        self.port = port
        self.prefix = Self.normalisedPrefix(prefix)
    }

    /// `prefix` with exactly one `/` at each end (`/` alone for an empty prefix).
    public static func normalisedPrefix(_ prefix: String) -> String {
        let inner = prefix.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
        return inner.isEmpty ? "/" : "/\(inner)/"
    }

    /// The endpoint as written in messages, e.g. `http://127.0.0.1:2232`.
    public var text: String {
        "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    /// The request target of a file (or, with an empty name, of its bucket).
    public func target(_ path: ObjectPath) -> String {
        prefix + Self.percentEncoded(path.bucket) + "/" + Self.percentEncoded(path.name)
    }

    /// The full URL of a file, for messages.
    public func url(_ path: ObjectPath) -> String { text + target(path) }

    /// The listing target: `<prefix><bucket>/?list&prefix=<p>&after=<name>&limit=<n>`.
    public func listTarget(bucket: String, prefix namePrefix: String, after: String?, limit: Int) -> String {
        var target = prefix + Self.percentEncoded(bucket) + "/?list"
        if !namePrefix.isEmpty { target += "&prefix=" + Self.percentEncoded(namePrefix, keepSlash: false) }
        if let after { target += "&after=" + Self.percentEncoded(after, keepSlash: false) }
        return target + "&limit=\(limit)"
    }

    /// `text` with every byte outside RFC 3986 unreserved characters, sub-delimiters other than
    /// `&`, `+` and `=`, `:` and `@` (and `/` when `keepSlash`) percent-encoded: safe in a path
    /// and, without `/`, in a query value.
    public static func percentEncoded(_ text: String, keepSlash: Bool = true) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        for byte in text.utf8 {
            if isPlain(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
                bytes.append(byte)
            } else {
                bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isPlain(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "-._~!$'()*,;:@".utf8.contains(byte)
        }
    }
}
