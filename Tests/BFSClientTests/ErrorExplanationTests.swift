import Testing
@testable import BFSClient

/// Every failure tells the user what to do next.
@Suite struct ErrorExplanationTests {
    @Test func unauthorizedNamesTheKeyAndTheClock() {
        let text = ClientError.forStatus(401, body: "token signature mismatch\n", bucket: "default", name: "a",
                                         signed: true).description
        #expect(text.hasPrefix("401 Unauthorized (token signature mismatch):"))
        #expect(text.contains("key id or secret is wrong"))
        #expect(text.contains("`bfs up` prints"))
        #expect(text.contains("more than 15 minutes"))
    }

    @Test func unsignedUnauthorizedAsksForTheKey() {
        let text = ClientError.forStatus(401, body: "", bucket: "default", name: "a", signed: false).description
        #expect(text.contains("not public-read"))
        #expect(text.contains("--key-id and --secret"))
    }

    @Test func notFoundNamesBucketAndFile() {
        let text = ClientError.forStatus(404, body: "no such file", bucket: "default", name: "cat.jpg",
                                         signed: true).description
        #expect(text == "404 Not Found (no such file): no bucket \"default\" or no file \"cat.jpg\" in it")
        let bucketOnly = ClientError.forStatus(404, body: "", bucket: "nope", name: "", signed: true).description
        #expect(bucketOnly == "404 Not Found: no bucket \"nope\"")
    }

    @Test func tooLargeNamesTheLimit() {
        let text = ClientError.forStatus(413, body: "body over 20971520 bytes", bucket: "b", name: "n",
                                         signed: true).description
        #expect(text.contains("max_file_size"))
        #expect(text.contains("(body over 20971520 bytes)"))
    }

    @Test func refusedConnectionAsksWhetherTheProxyRuns() {
        let text = ClientError.connectionRefused(endpoint: "http://127.0.0.1:2232").description
        #expect(text.contains("http://127.0.0.1:2232"))
        #expect(text.contains("`bfs up` or `bfs proxy` running"))
    }

    @Test func otherStatusesCarryTheProxysReason() {
        #expect(ClientError.forStatus(503, body: "no writable group", bucket: "b", name: "n", signed: true)
            == .status(code: 503, detail: "no writable group"))
        #expect(ClientError.status(code: 503, detail: "no writable group").description.contains("try again"))
        #expect(ClientError.forStatus(400, body: "Content-Type required", bucket: "b", name: "n", signed: true)
            .description == "the proxy answered 400: Content-Type required")
    }

    @Test func credentialsNeededSaysWhereToFindThem() {
        let text = ClientError.credentialsNeeded("rm").description
        #expect(text.hasPrefix("rm needs the bucket's key"))
        #expect(text.contains("BFS_KEY_ID"))
    }

    @Test func incompleteAndCorruptDownloads() {
        #expect(ClientError.incomplete(received: 10, expected: 20).description.contains("after 10 of 20 bytes"))
        #expect(ClientError.checksumMismatch(expected: "aa", actual: "bb").description.contains("nothing was kept"))
        #expect(ClientError.uploadMismatch(sent: "aa", stored: "bb").description.contains("upload it again"))
    }

    @Test func longBodiesAreCutToOneLine() {
        let body = String(repeating: "x", count: 300) + "\nmore"
        guard case .status(_, let detail) = ClientError.forStatus(500, body: body, bucket: "b", name: "n", signed: true)
        else { Issue.record("expected a status error"); return }
        #expect(detail.count == 201)
        #expect(!detail.contains("\n"))
    }
}
