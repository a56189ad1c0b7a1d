import BFSHTTP
@testable import BFSProxy
import BFSTestSupport
import Foundation
import Testing

/// Every RFC 9110 conditional and range case of a GET/HEAD through a real proxy, asserting the
/// status, headers, body, and how many store requests it cost (none for HEAD, 304, 412, 416).
@Suite(.serialized) struct ReadConditionalTests {
    /// The file every case reads: 100 distinct bytes, modified at 1700000000 (Tue, 14 Nov 2023 22:13:20 GMT).
    static let content: [UInt8] = (0..<100).map { UInt8($0) }
    static let sha1 = ContentName.sha1Hex(content)
    static let etag = "\"\(sha1)\""
    static let lastModified = "Tue, 14 Nov 2023 22:13:20 GMT"
    static let earlier = "Tue, 14 Nov 2023 22:13:19 GMT"
    static let later = "Wed, 15 Nov 2023 00:00:00 GMT"

    struct Case: CustomStringConvertible {
        var name: String
        var method = "GET"
        var headers: [(String, String)] = []
        var status: Int
        /// Expected body: nil for "none at all".
        var body: [UInt8]?
        var expectHeaders: [(String, String)] = []
        var absentHeaders: [String] = []
        var storeRequests: Bool
        var description: String { name }
    }

    static let full = content
    static let cases: [Case] = [
        Case(name: "plain GET", status: 200, body: full,
             expectHeaders: [("ETag", etag), ("Last-Modified", lastModified), ("Accept-Ranges", "bytes"), ("Content-Length", "100"),
                             ("Content-Type", "image/png"), ("Cache-Control", "public, max-age=315360000")],
             storeRequests: true),
        Case(name: "HEAD", method: "HEAD", status: 200, body: nil,
             expectHeaders: [("ETag", etag), ("Content-Length", "100"), ("Last-Modified", lastModified)], storeRequests: false),
        Case(name: "HEAD ignores Range", method: "HEAD", headers: [("Range", "bytes=0-9")], status: 200, body: nil,
             expectHeaders: [("Content-Length", "100")], absentHeaders: ["Content-Range"], storeRequests: false),
        Case(name: "If-None-Match exact", headers: [("If-None-Match", etag)], status: 304, body: nil,
             expectHeaders: [("ETag", etag), ("Cache-Control", "public, max-age=315360000")], absentHeaders: ["Content-Length"],
             storeRequests: false),
        Case(name: "If-None-Match list", headers: [("If-None-Match", "\"nope\", \(etag)")], status: 304, body: nil, storeRequests: false),
        Case(name: "If-None-Match *", headers: [("If-None-Match", "*")], status: 304, body: nil, storeRequests: false),
        Case(name: "If-None-Match weak compare", headers: [("If-None-Match", "W/\(etag)")], status: 304, body: nil, storeRequests: false),
        Case(name: "HEAD If-None-Match", method: "HEAD", headers: [("If-None-Match", etag)], status: 304, body: nil, storeRequests: false),
        Case(name: "If-None-Match mismatch beats If-Modified-Since",
             headers: [("If-None-Match", "\"other\""), ("If-Modified-Since", later)], status: 200, body: full, storeRequests: true),
        Case(name: "If-None-Match match beats stale If-Modified-Since",
             headers: [("If-None-Match", etag), ("If-Modified-Since", earlier)], status: 304, body: nil, storeRequests: false),
        Case(name: "If-Modified-Since equal", headers: [("If-Modified-Since", lastModified)], status: 304, body: nil,
             expectHeaders: [("ETag", etag)], storeRequests: false),
        Case(name: "If-Modified-Since earlier", headers: [("If-Modified-Since", earlier)], status: 200, body: full, storeRequests: true),
        Case(name: "If-Match mismatch", headers: [("If-Match", "\"other\"")], status: 412, body: [], storeRequests: false),
        Case(name: "If-Match weak never matches", headers: [("If-Match", "W/\(etag)")], status: 412, body: [], storeRequests: false),
        Case(name: "If-Match match", headers: [("If-Match", etag)], status: 200, body: full, storeRequests: true),
        Case(name: "If-Unmodified-Since earlier", headers: [("If-Unmodified-Since", earlier)], status: 412, body: [], storeRequests: false),
        Case(name: "If-Unmodified-Since equal", headers: [("If-Unmodified-Since", lastModified)], status: 200, body: full, storeRequests: true),
        Case(name: "Range single", headers: [("Range", "bytes=10-19")], status: 206, body: Array(content[10...19]),
             expectHeaders: [("Content-Range", "bytes 10-19/100"), ("Content-Length", "10"), ("ETag", etag)], storeRequests: true),
        Case(name: "Range suffix", headers: [("Range", "bytes=-10")], status: 206, body: Array(content[90...99]),
             expectHeaders: [("Content-Range", "bytes 90-99/100")], storeRequests: true),
        Case(name: "Range open", headers: [("Range", "bytes=95-")], status: 206, body: Array(content[95...99]),
             expectHeaders: [("Content-Range", "bytes 95-99/100")], storeRequests: true),
        Case(name: "Range clamped", headers: [("Range", "bytes=98-500")], status: 206, body: Array(content[98...99]),
             expectHeaders: [("Content-Range", "bytes 98-99/100")], storeRequests: true),
        Case(name: "Range unsatisfiable", headers: [("Range", "bytes=200-300")], status: 416, body: [],
             expectHeaders: [("Content-Range", "bytes */100")], storeRequests: false),
        Case(name: "Range malformed is ignored", headers: [("Range", "bytes=20-10")], status: 200, body: full, storeRequests: true),
        Case(name: "If-Range matching tag", headers: [("If-Range", etag), ("Range", "bytes=0-4")], status: 206,
             body: Array(content[0...4]), storeRequests: true),
        Case(name: "If-Range other tag", headers: [("If-Range", "\"other\""), ("Range", "bytes=0-4")], status: 200,
             body: full, absentHeaders: ["Content-Range"], storeRequests: true),
        Case(name: "If-Range matching date", headers: [("If-Range", lastModified), ("Range", "bytes=0-4")], status: 206,
             body: Array(content[0...4]), storeRequests: true),
        Case(name: "If-Range other date", headers: [("If-Range", earlier), ("Range", "bytes=0-4")], status: 200,
             body: full, storeRequests: true),
    ]

    @Test(arguments: cases) func conditionalCase(_ c: Case) throws {
        try ProxyHarness.with { harness in
            harness.seed("pub", "cat.png", Self.content, key: 42)
            let response = try harness.request(c.method, "pub", "cat.png", headers: c.headers)
            #expect(response.status == c.status, "\(c.name)")
            for (name, value) in c.expectHeaders {
                #expect(response.header(name) == value, "\(c.name): \(name)")
            }
            for name in c.absentHeaders {
                #expect(response.header(name) == nil, "\(c.name): \(name) present")
            }
            if let body = c.body { #expect(response.body == body, "\(c.name): body") } else { #expect(response.body.isEmpty, "\(c.name)") }
            if c.storeRequests {
                #expect(harness.storeReads >= 1, "\(c.name): no store read")
            } else {
                #expect(harness.storeReads == 0, "\(c.name): \(harness.storeReads) store reads")
            }
        }
    }

    @Test func multipleRangesAnswerMultipartByteranges() throws {
        try ProxyHarness.with { harness in
            harness.seed("pub", "cat.png", Self.content, key: 42)
            let response = try harness.request("GET", "pub", "cat.png", headers: [("Range", "bytes=0-4,90-94")])
            #expect(response.status == 206)
            let type = try #require(response.header("Content-Type"))
            #expect(type.hasPrefix("multipart/byteranges; boundary="))
            let boundary = String(type.dropFirst("multipart/byteranges; boundary=".count))
            var expected = Array("--\(boundary)\r\nContent-Type: image/png\r\nContent-Range: bytes 0-4/100\r\n\r\n".utf8) + Self.content[0...4]
            expected += Array("\r\n--\(boundary)\r\nContent-Type: image/png\r\nContent-Range: bytes 90-94/100\r\n\r\n".utf8) + Self.content[90...94]
            expected += Array("\r\n--\(boundary)--\r\n".utf8)
            #expect(response.body == expected)
            #expect(response.header("Content-Length") == String(expected.count))
            #expect(response.header("ETag") == Self.etag)
            #expect(harness.storeReads == 2)  // one store request per range
        }
    }

    @Test func cachePolicyAndPrivacyFollowTheBucket() throws {
        try ProxyHarness.with { harness in
            harness.seed("priv", "x.png", Self.content, key: 43)
            let response = try harness.request("GET", "priv", "x.png", signed: true)
            #expect(response.status == 200)
            #expect(response.header("Cache-Control") == "private, max-age=60")
            #expect(response.body == Self.content)
        }
    }
}
