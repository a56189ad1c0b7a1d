import BFSHTTP

/// The status and header fields of a GET/HEAD answer, made from metadata alone, plus the
/// multipart framing when the body is several ranges.
///
/// | Answer | Status | Fields |
/// |---|---|---|
/// | proceed | 200 | validators, caching, `Accept-Ranges`, `Content-Type`, `Content-Length` |
/// | partial | 206 | same, `Content-Length` of the range, `Content-Range: bytes a-b/len` |
/// | multipart | 206 | same, `Content-Type: multipart/byteranges; boundary=…`, framed length |
/// | notModified | 304 | `ETag`, `Cache-Control`, `Expires` (§15.4.5: what a 200 would carry for caches) |
/// | preconditionFailed | 412 | `Content-Length: 0` |
/// | rangeNotSatisfiable | 416 | `Content-Range: bytes */len`, `Accept-Ranges`, `Content-Length: 0` |
///
/// Validators are `ETag` (quoted, strong) and `Last-Modified` (IMF-fixdate, always GMT; bfs sent
/// local time labelled GMT; left out in the second of the last change, see below).
/// `Content-Length` of a HEAD is that of the GET it stands for.
public struct ResponseHead: Sendable {
    /// The status to send.
    public var status: HTTPStatus
    /// The header fields to send (the server adds `Date`, `Server` and connection fields).
    public var headers: HTTPHeaders
    /// The framing of a multipart body, nil for every other answer.
    public var byteRanges: ByteRangesFormat?

    /// The head of `answer` for `representation`.
    ///
    /// - Parameters:
    ///   - readPrivate: whether the bucket is read-private (caches must then keep it private).
    ///   - now: the current Unix time, for `Expires` and whether `Last-Modified` can be sent.
    ///   - boundary: the multipart boundary to use if the answer is multipart.
    public init(answer: ConditionalAnswer, representation: Representation, cachePolicy: CachePolicy,
                readPrivate: Bool, now: Int64, boundary: @autoclosure () -> String = MultipartBoundary.makeRandom())
    {
        var headers = HTTPHeaders()
        headers.reserveCapacity(8)
        byteRanges = nil
        func addCaching() {
            headers.add(name: "Cache-Control", value: cachePolicy.cacheControl(readPrivate: readPrivate))
            headers.add(name: "Expires", value: HTTPDate.format(cachePolicy.expires(now: now)))
        }
        switch answer {
        case .notModified:
            status = .notModified
            headers.add(name: "ETag", value: representation.entityTag.description)
            addCaching()
            self.headers = headers
            return
        case .preconditionFailed:
            status = .preconditionFailed
            headers.add(name: "Content-Length", value: "0")
            self.headers = headers
            return
        case .rangeNotSatisfiable:
            status = .rangeNotSatisfiable
            headers.add(name: "Content-Range", value: ContentRange.unsatisfied(length: representation.length))
            headers.add(name: "Accept-Ranges", value: "bytes")
            headers.add(name: "Content-Length", value: "0")
            self.headers = headers
            return
        case .proceed, .partial, .multipart:
            break
        }
        headers.add(name: "ETag", value: representation.entityTag.description)
        // A date one second wide cannot tell two versions written in the same second apart: an
        // answer made in the second of the last change carries no Last-Modified, so a client's
        // If-Modified-Since always names a second that had ended before the version it holds
        // (RFC 9110 §8.8.2.2; the ETag still validates).
        if representation.lastModified < now {
            headers.add(name: "Last-Modified", value: HTTPDate.format(representation.lastModified))
        }
        addCaching()
        headers.add(name: "Accept-Ranges", value: "bytes")
        switch answer {
        case .partial(let range):
            status = .partialContent
            if let type = representation.contentType { headers.add(name: "Content-Type", value: type) }
            headers.add(name: "Content-Range", value: ContentRange.bytes(range, length: representation.length))
            headers.add(name: "Content-Length", value: String(range.upperBound - range.lowerBound + 1))
        case .multipart(let ranges):
            status = .partialContent
            let format = ByteRangesFormat(boundary: boundary(), ranges: ranges, length: representation.length,
                                          partContentType: representation.contentType)
            headers.add(name: "Content-Type", value: format.contentType)
            headers.add(name: "Content-Length", value: String(format.contentLength))
            byteRanges = format
        default:
            status = .ok
            if let type = representation.contentType { headers.add(name: "Content-Type", value: type) }
            headers.add(name: "Content-Length", value: String(representation.length))
        }
        self.headers = headers
    }
}
