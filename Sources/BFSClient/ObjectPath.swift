/// A `BUCKET/NAME` argument of `bfs put|get|head|rm|ls`: the bucket, then the filename (which may
/// hold further `/`).
///
/// | Argument | bucket | name |
/// |---|---|---|
/// | `default/cat.jpg` | `default` | `cat.jpg` |
/// | `default/a/b/cat.jpg` | `default` | `a/b/cat.jpg` |
/// | `default/avatars/` | `default` | `avatars/` (PUT: content-addressed) |
/// | `default/` or `default` | `default` | `` (PUT: content-addressed; ls: the whole bucket) |
/// | `/default/cat.jpg` | `default` | `cat.jpg` (one leading `/` is ignored) |
public struct ObjectPath: Equatable, Sendable {
    /// The bucket name.
    public var bucket: String
    /// The filename inside the bucket, as the proxy is asked for it ("" for none).
    public var name: String

    /// A path from its parts.
    public init(bucket: String, name: String) {
        self.bucket = bucket
        self.name = name
    }

    /// Splits `text` at its first `/` (after one optional leading `/`).
    public init(parsing text: String) throws(ClientError) {
        let body = text.hasPrefix("/") ? text.dropFirst() : text[...]
        let parts = body.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let bucket = String(parts.first ?? "")
        guard !bucket.isEmpty else { throw .badPath("no bucket in \"\(text)\"") }
        self.init(bucket: bucket, name: parts.count > 1 ? String(parts[1]) : "")
    }

    /// Whether the name asks the proxy to name the file by its content (empty or ending in `/`).
    public var isContentAddressed: Bool { name.isEmpty || name.hasSuffix("/") }

    /// Throws unless the path names one file (for get, head and rm).
    public func requireFile(_ text: String) throws(ClientError) {
        guard !isContentAddressed else {
            throw .badPath("\"\(text)\" names no file (the name is empty or ends in '/')")
        }
    }

    /// The last segment of the name (what `bfs get` saves the file as by default).
    public var lastSegment: String {
        String(name.split(separator: "/", omittingEmptySubsequences: true).last ?? "")
    }
}
