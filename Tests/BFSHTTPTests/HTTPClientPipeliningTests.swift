import BFSTestSupport
import BFSLoop
import Testing
@testable import BFSHTTP

/// `HTTPClient.Configuration.maxPipelineDepth`: GETs made in one loop iteration to one server
/// share a connection, answers reach the right callers in order, and a connection that breaks
/// or closes sends the waiting requests again once.
@Suite struct HTTPClientPipeliningTests {
    private static func pipelining(_ depth: Int) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.maxPipelineDepth = depth
        return configuration
    }

    /// Warms the pool with one connection (a request on a connection still connecting is
    /// never pipelined), then makes every request in one loop job (one iteration), optionally
    /// cancelling some right after, and returns the results in request order.
    private func runTogether(_ h: ClientHarness, _ requests: [HTTPClientRequest], cancel: Set<Int> = [])
        -> [Result<HTTPClientResponse, HTTPClientError>]?
    {
        guard let warm = h.run([h.get("/hello")]), (try? warm[0].get()) != nil else { return nil }
        let done = Completion<[Result<HTTPClientResponse, HTTPClientError>]>()
        h.loop.execute {
            var results = [Result<HTTPClientResponse, HTTPClientError>?](repeating: nil, count: requests.count)
            var left = requests.count
            var tasks: [HTTPClientTask] = []
            for (i, request) in requests.enumerated() {
                tasks.append(h.client.execute(request) { result in
                    results[i] = result
                    left -= 1
                    if left == 0 { done.fulfill(results.map { $0! }) }
                })
            }
            for i in cancel { tasks[i].cancel() }
        }
        return done.wait(milliseconds: 60_000)
    }

    /// A GET of `target` that may be pipelined.
    private func get(_ h: ClientHarness, _ target: String) -> HTTPClientRequest {
        var request = h.get(target)
        request.allowsPipelining = true
        return request
    }

    private func body(_ result: Result<HTTPClientResponse, HTTPClientError>) -> [UInt8]? {
        try? result.get().body
    }

    @Test func requestsOfOneIterationShareOneConnectionAndEachGetsItsOwnAnswer() throws {
        for (depth, allowed) in [(1, true), (8, false), (8, true)] {
            let h = try ClientHarness(configuration: Self.pipelining(depth), respond: clientStandardAnswer)
            let targets = ["/hello", "/chunked", "/big", "/hello", "/echo"]
            let results = try #require(runTogether(h, targets.map { allowed ? get(h, $0) : h.get($0) }))
            #expect(body(results[0]) == Array("hello".utf8))
            #expect(body(results[1]) == Array("bfs store files".utf8))
            #expect(body(results[2]) == (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            #expect(body(results[3]) == Array("hello".utf8))
            #expect(try results[4].get().head.headers.first { $0.name == "X-Method" }?.value == "GET")
            // Without pipelining each request takes a connection; with it they all share one.
            #expect(try h.acceptedCount() == (depth > 1 && allowed ? 1 : targets.count))
            #expect(try h.finish() == 0)
        }
    }

    @Test func onlyBodilessRequestsArePipelined() throws {
        let h = try ClientHarness(configuration: Self.pipelining(8), respond: clientStandardAnswer)
        var post = get(h, "/echo")
        post.method = "POST"
        post.body = [ArraySlice("payload".utf8)]
        let results = try #require(runTogether(h, [get(h, "/hello"), post, get(h, "/hello")]))
        #expect(body(results[1]) == Array("payload".utf8))
        #expect(body(results[0]) == Array("hello".utf8) && body(results[2]) == Array("hello".utf8))
        // The POST took a connection of its own; the GET after it joined the first one.
        #expect(try h.acceptedCount() == 2)
        #expect(try h.finish() == 0)
    }

    @Test func aServerClosingAfterAnAnswerHasTheWaitingRequestsSentAgain() throws {
        let h = try ClientHarness(configuration: Self.pipelining(8), respond: clientStandardAnswer)
        let results = try #require(runTogether(h, ["/close", "/hello", "/chunked"].map { get(h, $0) }))
        #expect(body(results[0]) == Array("until close".utf8))
        #expect(body(results[1]) == Array("hello".utf8))
        #expect(body(results[2]) == Array("bfs store files".utf8))
        #expect(try h.acceptedCount() >= 2)
        #expect(try h.finish() == 0)
    }

    @Test func aCancelledWaitingRequestIsDroppedAndTheOthersStillGetTheirAnswers() throws {
        let h = try ClientHarness(configuration: Self.pipelining(8), respond: clientStandardAnswer)
        let results = try #require(runTogether(h, ["/hello", "/big", "/chunked"].map { get(h, $0) }, cancel: [1]))
        #expect(body(results[0]) == Array("hello".utf8))
        #expect(throws: HTTPClientError.cancelled) { try results[1].get() }
        #expect(body(results[2]) == Array("bfs store files".utf8))
        // The cancelled answer was read and dropped on the same connection.
        #expect(try h.acceptedCount() == 1)
        #expect(try h.finish() == 0)
    }

    @Test func aConnectionThatBreaksSendsEachWaitingRequestAgainOnce() throws {
        let h = try ClientHarness(configuration: Self.pipelining(8)) { request in
            request.target == "/drop" ? .hangUp : clientStandardAnswer(request)
        }
        let results = try #require(runTogether(h, ["/hello", "/drop", "/chunked"].map { get(h, $0) }))
        #expect(body(results[0]) == Array("hello".utf8))
        // Sent again once on a fresh connection, hung up on again: then it fails.
        #expect(throws: (any Error).self) { try results[1].get() }
        #expect(body(results[2]) == Array("bfs store files".utf8))
        #expect(try h.finish() == 0)
    }

    @Test func aServerThatStopsAnsweringFailsTheWaitingRequestsTooWithoutASecondWait() throws {
        var configuration = Self.pipelining(8)
        configuration.requestTimeout = 300
        // A server that hangs at "/silent" answers nothing after it either (answers are in order).
        let hung = Locked(false)
        let h = try ClientHarness(configuration: configuration) { request in
            if request.target == "/silent" { hung.with { $0 = true } }
            return hung.get ? .silence : clientStandardAnswer(request)
        }
        // "/hello" waits behind "/silent" on the same connection.
        let results = try #require(runTogether(h, ["/silent", "/hello"].map { get(h, $0) }))
        #expect(throws: HTTPClientError.requestTimeout) { try results[0].get() }
        #expect(throws: HTTPClientError.requestTimeout) { try results[1].get() }
        // Not sent again: the caller decides where to go next (the proxy, another replica).
        #expect(try h.acceptedCount() == 1)
        #expect(try h.finish() == 0)
    }
}
