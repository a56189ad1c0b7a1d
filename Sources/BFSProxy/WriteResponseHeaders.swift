import BFSHTTP

/// The bfs-compatible fields of PUT and DELETE answers (reference §4.1), sent beside real HTTP
/// statuses: bfs clients read the outcome from `Code` because bfs always answered 200.
///
/// | Field | When | Value |
/// |---|---|---|
/// | `Code` | every PUT/DELETE answer | `200` for any success (201 Created, 200 replaced, 204 deleted), as bfs sent; else the status or bfs `ret` of the failure |
/// | `ETag` | PUT stored the file | quoted content SHA-1 (bfs sent it unquoted) |
/// | `Location` | PUT stored the file | public URL: domain, prefix, bucket, percent-encoded filename |
public enum WriteResponseHeaders {
    /// The fields of a successful PUT of content `sha1` reachable at `location`.
    public static func stored(status: HTTPStatus, sha1: String, location: String) -> HTTPHeaders {
        HTTPHeaders([("Code", code(of: status)), ("ETag", EntityTag(sha1: sha1).description),
                     ("Location", location)])
    }

    /// The fields of any other PUT or DELETE answer.
    public static func outcome(status: HTTPStatus) -> HTTPHeaders {
        HTTPHeaders([("Code", code(of: status))])
    }

    /// bfs clients test `Code == 200` for success (bfs's HTTP status was always 200), so every
    /// 2xx maps to `200`; the real status line still says 201 or 204.
    static func code(of status: HTTPStatus) -> String {
        (200..<300).contains(status.code) ? "200" : String(status.code)
    }

    /// The public URL of a file: `domain` (scheme and host, e.g. `https://img.example.com`),
    /// the path prefix (e.g. `/bfs/`), bucket and filename, with exactly one `/` between parts
    /// (bfs stripped the domain's trailing slash only when a prefix was set).
    public static func location(domain: String, prefix: String, bucket: String, filename: String) -> String {
        var url: [UInt8] = []
        url.reserveCapacity(domain.utf8.count + prefix.utf8.count + bucket.utf8.count + filename.utf8.count + 16)
        url.append(contentsOf: domain.utf8)
        while url.last == UInt8(ascii: "/") { url.removeLast() }
        for part in prefix.utf8.split(separator: UInt8(ascii: "/")) {
            url.append(UInt8(ascii: "/"))
            appendPercentEncoded(part, to: &url)
        }
        url.append(UInt8(ascii: "/"))
        appendPercentEncoded(bucket.utf8[...], to: &url)
        url.append(UInt8(ascii: "/"))
        appendPercentEncoded(filename.utf8[...], to: &url)
        return String(decoding: url, as: UTF8.self)
    }

    /// Appends `text` with every byte outside RFC 3986 `pchar` and `/` percent-encoded.
    private static func appendPercentEncoded<Bytes: Sequence<UInt8>>(_ text: Bytes, to out: inout [UInt8]) {
        for byte in text {
            if isPathByte(byte) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hexDigit(byte >> 4))
                out.append(hexDigit(byte & 0x0F))
            }
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "A") + nibble - 10
    }

    /// Unreserved, sub-delims, `:`, `@` and `/`: bytes a path may hold as they are.
    static func isPathByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "!"),
             UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="),
             UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "/"):
            return true
        default:
            return false
        }
    }
}
