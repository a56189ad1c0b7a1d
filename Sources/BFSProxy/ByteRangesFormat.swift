/// The framing of a `multipart/byteranges` body (RFC 9110 §14.6), produced piece by piece so the
/// proxy can stream each range from a store between the pieces it writes itself.
///
/// | Piece | Bytes |
/// |---|---|
/// | head of part 0 | `--B` CRLF [`Content-Type: T` CRLF] `Content-Range: bytes a-b/len` CRLF CRLF |
/// | head of part i > 0 | CRLF `--B` CRLF ... as above (the CRLF before a delimiter belongs to it) |
/// | part data | bytes a through b of the representation, verbatim |
/// | trailer | CRLF `--B--` CRLF |
///
/// The response carries `Content-Type: multipart/byteranges; boundary=B`. The boundary is
/// random (``BFSHTTP/MultipartBoundary/makeRandom()``), so it is not searched for in the data.
/// Every piece's size is known up front, so the answer has an exact `Content-Length`.
public struct ByteRangesFormat: Sendable {
    /// The boundary, without the leading dashes.
    public let boundary: String
    /// The ranges, in the order they are sent.
    public let ranges: [ClosedRange<Int64>]
    /// The representation's full length (the `/len` in each `Content-Range`).
    public let length: Int64
    /// The `Content-Type` of each part, or nil to leave it out.
    public let partContentType: String?

    /// A format for `ranges` of a body of `length` bytes.
    public init(boundary: String, ranges: [ClosedRange<Int64>], length: Int64, partContentType: String?) {
        self.boundary = boundary
        self.ranges = ranges
        self.length = length
        self.partContentType = partContentType
    }

    /// The `Content-Type` of the whole response.
    public var contentType: String { "multipart/byteranges; boundary=\(boundary)" }

    /// The bytes that precede the data of part `index`.
    public func partHead(_ index: Int) -> [UInt8] {
        var text = index == 0 ? "" : "\r\n"
        text += "--\(boundary)\r\n"
        if let partContentType { text += "Content-Type: \(partContentType)\r\n" }
        text += "Content-Range: \(ContentRange.bytes(ranges[index], length: length))\r\n\r\n"
        return Array(text.utf8)
    }

    /// The bytes after the data of the last part.
    public var trailer: [UInt8] { Array("\r\n--\(boundary)--\r\n".utf8) }

    /// The exact size of the body: every head, every range and the trailer.
    public var contentLength: Int64 {
        var total = Int64(trailer.count)
        for index in ranges.indices {
            total += Int64(partHead(index).count) + ranges[index].upperBound - ranges[index].lowerBound + 1
        }
        return total
    }
}

/// `Content-Range` field values (RFC 9110 §14.4).
public enum ContentRange {
    /// `bytes first-last/length` for a range that was sent.
    public static func bytes(_ range: ClosedRange<Int64>, length: Int64) -> String {
        "bytes \(range.lowerBound)-\(range.upperBound)/\(length)"
    }

    /// `bytes */length`, the form a 416 carries.
    public static func unsatisfied(length: Int64) -> String { "bytes */\(length)" }
}
