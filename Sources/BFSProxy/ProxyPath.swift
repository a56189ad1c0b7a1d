/// The bucket and filename of a public API path (reference §4.1): `<prefix><bucket>/<filename>`,
/// where the filename is everything after the bucket's `/` and may hold more `/`.
///
/// | Path (prefix `/bfs/`) | Result |
/// |---|---|
/// | `/bfs/b/a/c.jpg` | bucket `b`, filename `a/c.jpg` |
/// | `/bfs/b/` or `/bfs/b` | bucket `b`, filename `` (PUT: content-addressed; other methods 400) |
/// | `/bfs//x.jpg` | `ProxyError.emptyBucket` (400) |
/// | `/bfs/b/%E7%8C%AB.jpg` | filename `猫.jpg` (percent-decoded, as bfs's Go `URL.Path`) |
/// | `/bfs/b/%zz` | `ProxyError.badPathEncoding` (400) |
/// | filename over 100 bytes once decoded | `ProxyError.filenameTooLong` (413) |
public struct ProxyPath: Equatable, Sendable {
    /// The bucket name.
    public var bucket: String
    /// The filename as sent (decoded), before content-addressed naming.
    public var filename: String

    /// Parses `path` (not yet percent-decoded) under `prefix` (normalised `/x/` or `/`).
    public init(path: String, prefix: String) throws(ProxyError) {
        guard path.hasPrefix(prefix) else { throw .pathOutsidePrefix }
        let rest = path.utf8.dropFirst(prefix.utf8.count)
        let slash = rest.firstIndex(of: UInt8(ascii: "/"))
        let rawBucket = slash.map { rest[..<$0] } ?? rest
        let rawFilename = slash.map { rest[rest.index(after: $0)...] } ?? rest[rest.endIndex...]
        guard let bucket = Self.percentDecoded(rawBucket), let filename = Self.percentDecoded(rawFilename) else {
            throw .badPathEncoding
        }
        guard !bucket.isEmpty else { throw .emptyBucket }
        guard filename.utf8.count <= ContentName.maxFilenameSize else { throw .filenameTooLong(size: filename.utf8.count) }
        self.bucket = bucket
        self.filename = filename
    }

    /// A path's parts.
    public init(bucket: String, filename: String) {
        self.bucket = bucket
        self.filename = filename
    }

    /// Decodes `%XX` escapes; nil on a bad escape or invalid UTF-8.
    static func percentDecoded(_ bytes: Substring.UTF8View.SubSequence) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                let first = bytes.index(after: index)
                guard first != bytes.endIndex else { return nil }
                let second = bytes.index(after: first)
                guard second != bytes.endIndex, let high = hexValue(bytes[first]), let low = hexValue(bytes[second]) else {
                    return nil
                }
                out.append(high << 4 | low)
                index = bytes.index(after: second)
            } else {
                out.append(byte)
                index = bytes.index(after: index)
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
