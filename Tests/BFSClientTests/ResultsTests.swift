import Testing
@testable import BFSClient

@Suite struct ResultsTests {
    @Test func listPageDecodes() throws {
        let json = #"{"files":[{"name":"a.jpg","size":123,"sha1":"00ff","mime":"image/jpeg","mtime":1700000000123456789}],"next":"a.jpg"}"#
        let page = try ListPage(json: Array(json.utf8))
        #expect(page == ListPage(files: [.init(name: "a.jpg", size: 123, sha1: "00ff", mime: "image/jpeg",
                                               mtime: 1_700_000_000_123_456_789)], next: "a.jpg"))
        #expect(page.files[0].line == "a.jpg\t123\t2023-11-14T22:13:20Z")
        let last = try ListPage(json: Array(#"{"files":[],"next":null}"#.utf8))
        #expect(last.next == nil && last.files.isEmpty)
    }

    @Test func badListingIsABadResponse() {
        #expect(throws: ClientError.self) { try ListPage(json: Array("<html>".utf8)) }
    }

    @Test func etagNamesTheSha1OnlyWhenItIsOne() {
        let sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        #expect(ObjectInfo(size: 0, contentType: "", etag: "\"\(sha1)\"", lastModified: "").sha1 == sha1)
        #expect(ObjectInfo(size: 0, contentType: "", etag: sha1, lastModified: "").sha1 == nil)
        #expect(ObjectInfo(size: 0, contentType: "", etag: "W/\"\(sha1)\"", lastModified: "").sha1 == nil)
        #expect(ObjectInfo(size: 0, contentType: "", etag: "\"abc\"", lastModified: "").sha1 == nil)
    }

    @Test func reports() {
        #expect(PutResult(status: 201, location: "http://h:1/bfs/d/a.jpg", etag: "\"ab\"").report
            == "http://h:1/bfs/d/a.jpg\nETag: \"ab\"")
        #expect(ObjectInfo(size: 5, contentType: "image/png", etag: "\"ab\"", lastModified: "Tue, 24 Nov 2026 06:45:36 GMT")
            .report == "Size: 5\nContent-Type: image/png\nETag: \"ab\"\nLast-Modified: Tue, 24 Nov 2026 06:45:36 GMT")
    }
}
