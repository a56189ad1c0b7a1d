import BFSHTTP
import Testing
@testable import BFSProxy

@Suite struct ResponseHeadTests {
    static let file = Representation(sha1: "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d", length: 1000,
                                     lastModified: 784_111_777, contentType: "image/jpeg")
    static let now: Int64 = 1_700_000_000
    static let policy = CachePolicy(maxAge: 3600, immutable: true)

    func head(_ answer: ConditionalAnswer, readPrivate: Bool = false) -> ResponseHead {
        ResponseHead(answer: answer, representation: Self.file, cachePolicy: Self.policy, readPrivate: readPrivate,
                     now: Self.now, boundary: "B")
    }

    func fields(_ headers: HTTPHeaders) -> [String] { headers.map { "\($0.name): \($0.value)" } }

    @Test func fullAnswerCarriesValidatorsInGMT() {
        let ok = head(.proceed)
        #expect(ok.status == .ok)
        #expect(fields(ok.headers) == [
            "ETag: \"aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d\"",
            "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT",
            "Cache-Control: public, max-age=3600, immutable",
            "Expires: Tue, 14 Nov 2023 23:13:20 GMT",
            "Accept-Ranges: bytes",
            "Content-Type: image/jpeg",
            "Content-Length: 1000",
        ])
        #expect(ok.byteRanges == nil)
    }

    @Test func noLastModifiedInTheSecondOfTheChange() {
        // Two versions written in one second share a Last-Modified: an answer made in that second
        // must not hand it out, or If-Modified-Since would later call the second version unchanged.
        let changed = Representation(sha1: Self.file.sha1, length: 1000, lastModified: Self.now, contentType: "image/jpeg")
        let sameSecond = ResponseHead(answer: .proceed, representation: changed, cachePolicy: Self.policy,
                                      readPrivate: false, now: Self.now)
        #expect(sameSecond.headers["Last-Modified"] == nil)
        #expect(sameSecond.headers["ETag"] != nil)
        let secondAfter = ResponseHead(answer: .proceed, representation: changed, cachePolicy: Self.policy,
                                       readPrivate: false, now: Self.now + 1)
        #expect(secondAfter.headers["Last-Modified"] == HTTPDate.format(Self.now))
    }

    @Test func singleRange() {
        let partial = head(.partial(10...19))
        #expect(partial.status == .partialContent)
        #expect(partial.headers["Content-Range"] == "bytes 10-19/1000")
        #expect(partial.headers["Content-Length"] == "10")
        #expect(partial.headers["Content-Type"] == "image/jpeg")
        #expect(partial.headers["ETag"] != nil)
    }

    @Test func notModifiedCarriesETagAndCacheControlOnly() {
        let notModified = head(.notModified, readPrivate: true)
        #expect(notModified.status == .notModified)
        #expect(fields(notModified.headers) == [
            "ETag: \"aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d\"",
            "Cache-Control: private, max-age=3600, immutable",
            "Expires: Tue, 14 Nov 2023 23:13:20 GMT",
        ])
    }

    @Test func unsatisfiableAndPreconditionFailed() {
        let unsatisfiable = head(.rangeNotSatisfiable)
        #expect(unsatisfiable.status == .rangeNotSatisfiable)
        #expect(unsatisfiable.headers["Content-Range"] == "bytes */1000")
        #expect(unsatisfiable.headers["Content-Length"] == "0")
        let failed = head(.preconditionFailed)
        #expect(failed.status == .preconditionFailed)
        #expect(fields(failed.headers) == ["Content-Length: 0"])
    }

    @Test func multipartHeadMatchesItsFraming() throws {
        let multipart = head(.multipart([0...1, 998...999]))
        #expect(multipart.status == .partialContent)
        #expect(multipart.headers["Content-Type"] == "multipart/byteranges; boundary=B")
        let format = try #require(multipart.byteRanges)
        #expect(multipart.headers["Content-Length"] == String(format.contentLength))
        #expect(multipart.headers["Content-Range"] == nil)
    }

    /// Golden bytes of a two-part body (RFC 9110 §14.6 layout), assembled the way the proxy
    /// streams it: head, data, head, data, trailer.
    @Test func multipartBodyGolden() {
        let format = ByteRangesFormat(boundary: "B", ranges: [0...2, 7...9], length: 10, partContentType: "text/plain")
        let content = Array("0123456789".utf8)
        var body: [UInt8] = []
        for (index, range) in format.ranges.enumerated() {
            body += format.partHead(index)
            body += content[Int(range.lowerBound)...Int(range.upperBound)]
        }
        body += format.trailer
        let expected = "--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-2/10\r\n\r\n012"
            + "\r\n--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 7-9/10\r\n\r\n789"
            + "\r\n--B--\r\n"
        #expect(String(decoding: body, as: UTF8.self) == expected)
        #expect(format.contentLength == Int64(body.count))
    }

    @Test func multipartPartsWithoutContentType() {
        let format = ByteRangesFormat(boundary: "xyz", ranges: [5...5], length: 6, partContentType: nil)
        #expect(String(decoding: format.partHead(0), as: UTF8.self) == "--xyz\r\nContent-Range: bytes 5-5/6\r\n\r\n")
        #expect(format.contentLength == Int64(format.partHead(0).count + 1 + format.trailer.count))
    }

    /// The default boundary is a fresh random one, legal for multipart (RFC 2046).
    @Test func defaultBoundaryIsRandomAndValid() throws {
        let a = ResponseHead(answer: .multipart([0...0, 9...9]), representation: Self.file, cachePolicy: .standard,
                             readPrivate: false, now: Self.now)
        let b = ResponseHead(answer: .multipart([0...0, 9...9]), representation: Self.file, cachePolicy: .standard,
                             readPrivate: false, now: Self.now)
        let boundaryA = try #require(a.byteRanges?.boundary), boundaryB = try #require(b.byteRanges?.boundary)
        #expect(boundaryA != boundaryB)
        try MultipartBoundary.validate(boundaryA)
    }
}

@Suite struct CachePolicyTests {
    @Test(arguments: [
        (CachePolicy.standard, false, "public, max-age=315360000"),
        (CachePolicy(maxAge: 60, immutable: true), false, "public, max-age=60, immutable"),
        (CachePolicy(maxAge: 60), true, "private, max-age=60"),
        (CachePolicy(maxAge: 0, immutable: true), false, "no-cache"),
        (CachePolicy(maxAge: -5), true, "private, no-cache"),
    ])
    func cacheControl(policy: CachePolicy, readPrivate: Bool, expected: String) {
        #expect(policy.cacheControl(readPrivate: readPrivate) == expected)
    }

    @Test func expiresIsNowPlusMaxAgeAndSaturates() {
        #expect(CachePolicy(maxAge: 60).expires(now: 1000) == 1060)
        #expect(CachePolicy(maxAge: Int64.max).expires(now: 1000) == Int64.max)
    }
}

@Suite struct WriteResponseHeadersTests {
    @Test func storedCarriesBfsFields() {
        let headers = WriteResponseHeaders.stored(status: .created, sha1: "abc",
                                                  location: "http://img.example.com/bfs/b/x.jpg")
        #expect(headers["Code"] == "200", "bfs clients read success as Code 200")
        #expect(headers["ETag"] == "\"abc\"")
        #expect(headers["Location"] == "http://img.example.com/bfs/b/x.jpg")
        #expect(WriteResponseHeaders.outcome(status: .notFound).map(\.value) == ["404"])
        #expect(WriteResponseHeaders.outcome(status: .noContent).map(\.value) == ["200"])
    }

    @Test(arguments: [
        ("http://h:2232/", "/bfs/", "b", "x.jpg", "http://h:2232/bfs/b/x.jpg"),
        ("http://h:2232", "/bfs", "b", "dir/x.jpg", "http://h:2232/bfs/b/dir/x.jpg"),
        ("https://cdn.example.com/", "", "b", "x.jpg", "https://cdn.example.com/b/x.jpg"),
        ("http://h", "/a/b/", "img", "sp ace#?%.png", "http://h/a/b/img/sp%20ace%23%3F%25.png"),
        ("http://h", "/bfs/", "b", "é", "http://h/bfs/b/%C3%A9"),
    ])
    func location(domain: String, prefix: String, bucket: String, filename: String, expected: String) {
        #expect(WriteResponseHeaders.location(domain: domain, prefix: prefix, bucket: bucket, filename: filename)
            == expected)
    }
}
