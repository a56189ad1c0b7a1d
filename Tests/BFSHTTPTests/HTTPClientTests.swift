import BFSLoop
import Testing
@testable import BFSHTTP

/// A tiny HTTP/1.1 origin for client tests, on a TCP listener (port 0) of the test's loop.
///
/// It reads requests (Content-Length bodies only), answers through `respond`, and counts the
/// connections it accepted so tests can see keep-alive reuse. Loop thread only.
final class ClientTestOrigin: @unchecked Sendable {
    struct Request {
        var method: String
        var target: String
        var headers: [FormFields.Pair]
        var body: [UInt8]
        /// 0 for the first request on its connection, 1 for the next...
        var indexOnConnection = 0

        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    /// What to do with a request: bytes to write (in separate writes), then maybe hang up.
    enum Answer {
        case reply([[UInt8]], close: Bool)
        case silence
        /// Close the connection without a word, as a server racing its idle timeout does.
        case hangUp
    }

    private var listener: TCPListener?
    private var connections: [ObjectIdentifier: TCPConnection] = [:]
    private(set) var accepted = 0
    private(set) var requests: [Request] = []
    let respond: @Sendable (Request) -> Answer

    init(loop: EventLoop, respond: @escaping @Sendable (Request) -> Answer) throws {
        self.respond = respond
        listener = try TCPListener(on: loop, host: "127.0.0.1", port: 0) { [unowned self] connection in
            accept(connection)
        }
    }

    var port: Int { listener?.port ?? 0 }

    private func accept(_ connection: TCPConnection) {
        accepted += 1
        connections[ObjectIdentifier(connection)] = connection
        connection.onClose = { [unowned self] in connections.removeValue(forKey: ObjectIdentifier(connection)) }
        var buffer: [UInt8] = []
        var served = 0
        var discard = 0
        try? connection.startReading { [unowned self] event in
            guard case .data(let bytes) = event else {
                connection.close()
                return
            }
            let skipped = min(discard, bytes.count)
            discard -= skipped
            buffer.append(contentsOf: bytes[skipped...])
            while var request = Self.takeRequest(from: &buffer, discarding: &discard) {
                request.indexOnConnection = served
                served += 1
                requests.append(request)
                switch respond(request) {
                case .silence:
                    break
                case .hangUp:
                    connection.close()
                    return
                case .reply(let writes, let close):
                    for write in writes { connection.write(write) }
                    if close { connection.shutdownAndClose() }
                }
            }
        }
    }

    /// Closes every accepted connection (keep-alive ones too), as a server's idle timeout does.
    func closeConnections() {
        for connection in connections.values { connection.close() }
    }

    func close() {
        listener?.close()
        listener = nil
        closeConnections()
    }

    /// Removes one complete request from the front of `buffer`. A target starting `/early` is
    /// answered on its head: its body is dropped as it arrives (`discard` counts what is left).
    static func takeRequest(from buffer: inout [UInt8], discarding discard: inout Int) -> Request? {
        guard let end = buffer.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound else { return nil }
        let lines = String(decoding: buffer[..<end], as: UTF8.self)
            .split(separator: "\r\n", omittingEmptySubsequences: true)
        let requestLine = lines[0].split(separator: " ")
        let headers = lines.dropFirst().map { line -> FormFields.Pair in
            let colon = line.firstIndex(of: ":")!
            return .init(name: String(line[..<colon]),
                         value: String(line[line.index(after: colon)...].drop { $0 == " " }))
        }
        let length = Int(headers.first { $0.name.lowercased() == "content-length" }?.value ?? "0")!
        if requestLine[1].hasPrefix("/early") {
            let present = min(length, buffer.count - end)
            discard = length - present
            buffer.removeFirst(end + present)
            return Request(method: String(requestLine[0]), target: String(requestLine[1]),
                           headers: headers, body: [])
        }
        guard buffer.count - end >= length else { return nil }
        let request = Request(method: String(requestLine[0]), target: String(requestLine[1]),
                              headers: headers, body: Array(buffer[end..<(end + length)]))
        buffer.removeFirst(end + length)
        return request
    }
}

/// A loop, an origin and a client for one test; torn down by `finish()`.
final class ClientHarness: @unchecked Sendable {
    let loop: EventLoop
    var origin: ClientTestOrigin!
    var client: HTTPClient!

    init(configuration: HTTPClient.Configuration = .init(),
         respond: @escaping @Sendable (ClientTestOrigin.Request) -> ClientTestOrigin.Answer) throws
    {
        loop = try EventLoop(name: "client-test")
        loop.start()
        try loop.submitAndWait { [self] in
            origin = try ClientTestOrigin(loop: loop, respond: respond)
            client = HTTPClient(loop: loop, configuration: configuration)
        }
    }

    /// Runs `requests` one after another on the loop; returns each result (or nil if the whole
    /// run did not finish within a minute, a hang rather than a slow machine).
    func run(_ requests: [HTTPClientRequest]) -> [Result<HTTPClientResponse, HTTPClientError>]? {
        let done = Completion<[Result<HTTPClientResponse, HTTPClientError>]>()
        loop.execute { [self] in
            var results: [Result<HTTPClientResponse, HTTPClientError>] = []
            func next(_ index: Int) {
                guard index < requests.count else { return done.fulfill(results) }
                client.execute(requests[index]) { result in
                    results.append(result)
                    next(index + 1)
                }
            }
            next(0)
        }
        return done.wait(milliseconds: 60_000)
    }

    /// How many connections the origin accepted so far.
    func acceptedCount() throws -> Int {
        try loop.submitAndWait { [self] in origin.accepted }
    }

    func get(_ target: String) -> HTTPClientRequest {
        HTTPClientRequest(host: "127.0.0.1", port: origin.port, target: target)
    }

    /// Closes everything and checks no handle (socket or timer) outlived it.
    func finish() throws -> Int {
        try loop.submitAndWait { [self] in
            client.close()
            origin.close()
        }
        // Close callbacks run at the end of the loop iteration that closed the handles.
        let remaining = try loop.submitAndWait { [self] in loop.openResourceCount }
        loop.shutdown()
        return remaining
    }
}

/// The usual answers of the test origin.
func clientStandardAnswer(_ request: ClientTestOrigin.Request) -> ClientTestOrigin.Answer {
    switch request.target {
    case "/hello":
        return .reply([Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".utf8)], close: false)
    case "/chunked":
        return .reply(["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "4\r\nbfs \r\n",
                       "6;x=y\r\nstore \r\n", "5\r\nfiles\r\n0\r\n\r\n"].map { Array($0.utf8) }, close: false)
    case "/close":
        return .reply([Array("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil close".utf8)], close: true)
    case "/big":
        let body = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        return .reply([Array("HTTP/1.1 200 OK\r\nContent-Length: \(body.count)\r\n\r\n".utf8), body],
                      close: false)
    case "/early":
        return .reply([Array("HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\n\r\n".utf8)], close: false)
    case "/echo":
        var head = Array("HTTP/1.1 200 OK\r\nContent-Length: \(request.body.count)\r\n".utf8)
        head += Array("X-Method: \(request.method)\r\n\r\n".utf8)
        return .reply([head + request.body], close: false)
    default:
        return .silence
    }
}

@Suite struct HTTPClientTests {
    @Test func keepAliveReusesOneConnection() throws {
        let harness = try ClientHarness(respond: clientStandardAnswer)
        let results = try #require(harness.run(Array(repeating: harness.get("/hello"), count: 5)))
        for result in results {
            let response = try result.get()
            #expect(response.status == .ok)
            #expect(response.text == "hello")
        }
        let counts = try harness.loop.submitAndWait { [harness] in
            (harness.origin.accepted, harness.client.connectionsOpened, harness.client.idleConnectionCount)
        }
        #expect(counts == (1, 1, 1))
        #expect(try harness.finish() == 0)
    }

    @Test func chunkedResponseStreams() throws {
        let harness = try ClientHarness(respond: clientStandardAnswer)
        let results = try #require(harness.run([harness.get("/chunked"), harness.get("/hello")]))
        #expect(try results[0].get().text == "bfs store files")
        #expect(try results[1].get().text == "hello")
        #expect(try harness.acceptedCount() == 1)
        #expect(try harness.finish() == 0)
    }

    @Test func connectionCloseIsHonoured() throws {
        let harness = try ClientHarness(respond: clientStandardAnswer)
        let results = try #require(harness.run([harness.get("/close"), harness.get("/hello")]))
        #expect(try results[0].get().text == "until close")
        #expect(try results[1].get().text == "hello")
        #expect(try harness.acceptedCount() == 2)
        #expect(try harness.finish() == 0)
    }

    @Test func serverClosingIdleConnectionsIsSurvived() throws {
        let harness = try ClientHarness(respond: clientStandardAnswer)
        #expect(try harness.run([harness.get("/hello")])?.first?.get().text == "hello")
        try harness.loop.submitAndWait { [harness] in harness.origin.closeConnections() }
        // Whether the client saw the close first or re-sent the request, it must succeed.
        #expect(try harness.run([harness.get("/hello")])?.first?.get().text == "hello")
        #expect(try harness.acceptedCount() == 2)
        #expect(try harness.finish() == 0)
    }

    /// The origin hangs up on every second request of a connection without answering.
    static func hangUpOnReuse(_ request: ClientTestOrigin.Request) -> ClientTestOrigin.Answer {
        request.indexOnConnection == 0 ? clientStandardAnswer(request) : .hangUp
    }

    @Test func idempotentRequestIsResentAfterAStaleConnection() throws {
        let harness = try ClientHarness(respond: Self.hangUpOnReuse)
        let results = try #require(harness.run([harness.get("/hello"), harness.get("/hello")]))
        #expect(try results[0].get().text == "hello")
        #expect(try results[1].get().text == "hello")
        #expect(try harness.acceptedCount() == 2)
        #expect(try harness.finish() == 0)
    }

    @Test func postIsNotResentAfterAStaleConnection() throws {
        let harness = try ClientHarness(respond: Self.hangUpOnReuse)
        let post = HTTPClientRequest(host: "127.0.0.1", port: harness.origin.port, target: "/echo",
                                     form: ["key": "1"])
        let results = try #require(harness.run([post, post]))
        #expect(try results[0].get().text == "key=1")
        #expect(throws: HTTPClientError.connectionClosed) { try results[1].get() }
        #expect(try harness.acceptedCount() == 1)
        #expect(try harness.finish() == 0)
    }

    @Test func requestTimeoutOnASilentServer() throws {
        let harness = try ClientHarness(configuration: .init(requestTimeout: 200), respond: clientStandardAnswer)
        let results = try #require(harness.run([harness.get("/never"), harness.get("/hello")]))
        #expect(throws: HTTPClientError.requestTimeout) { try results[0].get() }
        // The timed-out connection is dropped, not reused with a late answer in flight.
        #expect(try results[1].get().text == "hello")
        #expect(try harness.acceptedCount() == 2)
        #expect(try harness.finish() == 0)
    }

    @Test func headTimeoutBoundsTheWaitForTheHeadOnly() throws {
        // The request timeout is long: only the head timeout can end the first request.
        let harness = try ClientHarness(configuration: .init(requestTimeout: 600_000), respond: clientStandardAnswer)
        var silent = harness.get("/never")
        silent.headTimeout = 100
        var big = harness.get("/big")
        big.headTimeout = 5_000
        let results = try #require(harness.run([silent, big]))
        #expect(throws: HTTPClientError.requestTimeout) { try results[0].get() }
        #expect(try results[1].get().body.count == 1 << 20)
        #expect(try harness.finish() == 0)
    }

    @Test func connectionRefused() throws {
        let harness = try ClientHarness(respond: clientStandardAnswer)
        let port = harness.origin.port
        try harness.loop.submitAndWait { [harness] in harness.origin.close() }
        let request = HTTPClientRequest(host: "127.0.0.1", port: port, target: "/hello")
        let result = try #require(harness.run([request])?.first)
        guard case .failure(.connectFailed(let error)) = result else {
            Issue.record("expected connectFailed, got \(result)")
            return
        }
        #expect(error.name == "ECONNREFUSED")
        #expect(try harness.finish() == 0)
    }

    @Test func multipartUploadThroughTheWriter() throws {
        let seed = FormTestRandom.printedSeed("multipartUploadThroughTheWriter")
        var random = FormTestRandom(seed: seed)
        let file = (0..<200_000).map { _ in UInt8.random(in: 0...255, using: &random) }
        let harness = try ClientHarness { request in
            // Parse the upload as the store will, answering with what it found.
            guard let contentType = request.header("content-type"),
                  var parser = try? MultipartParser(contentType: contentType) else { return .silence }
            var fileBytes: [UInt8] = []
            var form = MultipartFormCollector { event in
                if case .data(let bytes) = event { fileBytes.append(contentsOf: bytes) }
            }
            guard (try? parser.feed(request.body, to: &form)) != nil, (try? parser.finish()) != nil,
                  fileBytes == file
            else { return .reply([Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".utf8)], close: false) }
            let answer = QueryString.encode(form.fields.merging(["size": "\(fileBytes.count)"]))
            return .reply([Array("HTTP/1.1 200 OK\r\nContent-Length: \(answer.utf8.count)\r\n\r\n\(answer)".utf8)],
                          close: false)
        }
        var writer = MultipartWriter()
        writer.addField(name: "vid", value: "1")
        writer.addField(name: "key", value: "9007199254740993")
        writer.addField(name: "cookie", value: "42")
        writer.addFile(name: "file", filename: "1.jpg", contentType: "image/jpeg", data: file)
        let request = HTTPClientRequest(host: "127.0.0.1", port: harness.origin.port, target: "/upload",
                                        multipart: writer)
        let response = try #require(harness.run([request])?.first).get()
        #expect(response.status == .ok, "seed \(seed)")
        #expect(response.text == "vid=1&key=9007199254740993&cookie=42&size=200000")
        #expect(try harness.finish() == 0)
    }

    @Test func formPostAndStreamedBody() throws {
        let harness = try ClientHarness(respond: clientStandardAnswer)
        let done = Completion<(Int, [UInt8], HTTPClientResponseHead?)>()
        let port = harness.origin.port
        harness.loop.execute { [harness] in
            var chunks = 0
            var body: [UInt8] = []
            let request = HTTPClientRequest(host: "127.0.0.1", port: port, target: "/echo",
                                            form: ["key": "5", "vid": "a b"])
            harness.client.execute(request, onBody: { bytes in
                chunks += 1
                body.append(contentsOf: bytes)
            }, completion: { result in
                done.fulfill((chunks, body, try? result.get()))
            })
        }
        let (chunks, body, head) = try #require(done.wait(milliseconds: 60_000))
        #expect(chunks >= 1)
        #expect(String(decoding: body, as: UTF8.self) == "key=5&vid=a+b")
        #expect(head?.header("x-method") == "POST")
        #expect(try harness.finish() == 0)
    }

    @Test func earlyAnswerToALargeUpload() throws {
        let harness = try ClientHarness(respond: clientStandardAnswer)
        let upload = HTTPClientRequest(method: "POST", host: "127.0.0.1", port: harness.origin.port,
                                       target: "/early", body: [UInt8](repeating: 7, count: 8 << 20))
        let results = try #require(harness.run([upload, harness.get("/hello"), harness.get("/hello")]))
        #expect(try results[0].get().status == .contentTooLarge)
        // Whether the connection was pooled or not, the next requests are framed correctly.
        #expect(try results[1].get().text == "hello")
        #expect(try results[2].get().text == "hello")
        print("early answer: \(try harness.acceptedCount()) connection(s) for 3 requests")
        #expect(try harness.finish() == 0)
    }

    @Test func cancelWhileWaitingAndWhileConnecting() throws {
        let harness = try ClientHarness(respond: clientStandardAnswer)
        let done = Completion<[Result<HTTPClientResponse, HTTPClientError>]>()
        harness.loop.execute { [harness] in
            var results: [Result<HTTPClientResponse, HTTPClientError>] = []
            // Cancelled before its connection exists: that connection then serves /hello.
            let early = harness.client.execute(harness.get("/hello")) { results.append($0) }
            early.cancel()
            #expect(!early.isPending)
            let silent = harness.client.execute(harness.get("/never")) { result in
                results.append(result)
                harness.client.execute(harness.get("/hello")) { result in
                    results.append(result)
                    done.fulfill(results)
                }
            }
            // Cancel the silent one once the origin has received it (polled on the loop).
            var poll: LoopTimer?
            poll = harness.loop.scheduleTimer(after: 1, repeating: 1) {
                guard harness.origin.requests.contains(where: { $0.target == "/never" }) else { return }
                silent.cancel()
                poll?.close()
            }
        }
        let results = try #require(done.wait(milliseconds: 60_000))
        #expect(results.count == 3)
        #expect(throws: HTTPClientError.cancelled) { try results[0].get() }
        #expect(throws: HTTPClientError.cancelled) { try results[1].get() }
        #expect(try results[2].get().text == "hello")
        #expect(try harness.finish() == 0)
    }

    @Test func pausedBodyArrivesWhole() throws {
        let harness = try ClientHarness(respond: clientStandardAnswer)
        let done = Completion<(Int, Int, Bool, Result<HTTPClientResponseHead, HTTPClientError>)>()
        harness.loop.execute { [harness] in
            var received: [UInt8] = []
            var atResume = -1
            var resumed = false
            var task: HTTPClientTask?
            task = harness.client.execute(harness.get("/big"), onHead: { _ in
                task?.pauseReading()
                // Resume from a timer, outside any read callback, as a relay draining would.
                var timer: LoopTimer?
                timer = harness.loop.scheduleTimer(after: 20) {
                    resumed = true
                    atResume = received.count
                    task?.resumeReading()
                    timer?.close()
                }
            }, onBody: { bytes in
                received.append(contentsOf: bytes)
            }, completion: { result in
                let expected = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
                done.fulfill((received.count, atResume, received == expected && resumed, result))
            })
        }
        let (count, atResume, intact, result) = try #require(done.wait(milliseconds: 60_000))
        #expect(count == 1 << 20)
        // Paused in onHead, only the rest of that one read (a 64 KiB buffer) may still arrive.
        #expect((0...(64 * 1024)).contains(atResume))
        #expect(intact)
        #expect(try result.get().status == .ok)
        #expect(try harness.finish() == 0)
    }

    @Test func bodyLimitAndCallbackErrorsAbort() throws {
        let harness = try ClientHarness(respond: clientStandardAnswer)
        let done = Completion<Result<HTTPClientResponse, HTTPClientError>>()
        harness.loop.execute { [harness] in
            harness.client.execute(harness.get("/hello"), maxBodySize: 4) { done.fulfill($0) }
        }
        let result = try #require(done.wait(milliseconds: 60_000))
        #expect(throws: HTTPClientError.responseBodyTooLarge(limit: 4)) { try result.get() }
        #expect(try harness.finish() == 0)
    }

    @Test func invalidRequestsFailBeforeConnecting() throws {
        let harness = try ClientHarness(respond: clientStandardAnswer)
        var bad = harness.get("/hello")
        bad.headers = [.init(name: "X-Evil", value: "a\r\nInjected: 1")]
        var badTarget = harness.get("/a b")
        badTarget.method = "GET"
        let results = try #require(harness.run([bad, badTarget]))
        #expect(throws: HTTPClientError.invalidRequest("header \"X-Evil\"")) { try results[0].get() }
        #expect(throws: HTTPClientError.invalidRequest("target \"/a b\"")) { try results[1].get() }
        #expect(try harness.acceptedCount() == 0)
        #expect(try harness.finish() == 0)
    }

    @Test func closedClientRejectsRequests() throws {
        let harness = try ClientHarness(respond: clientStandardAnswer)
        try harness.loop.submitAndWait { [harness] in harness.client.close() }
        let result = try #require(harness.run([harness.get("/hello")])?.first)
        #expect(throws: HTTPClientError.clientClosed) { try result.get() }
        #expect(try harness.finish() == 0)
    }
}
