import BFSTestSupport
import BFSLoop
import Glibc
import Testing
@testable import BFSHTTP

@Suite struct HTTPServerTests {
    @Test func keepAliveServesManyRequestsOnOneConnection() throws {
        try withServer(router: testRouter()) { server, port in
            let client = try TestHTTPClient(port: port)
            for i in 0..<25 {
                try client.send(get("/path?i=\(i)"))
                let r = try client.readResponse()
                #expect(r.status == 200)
                #expect(r.text == "/path|i=\(i)")
                #expect(r.header("Server") == "bfs")
                #expect(r.header("Date")?.hasSuffix(" GMT") == true)
                #expect(r.header("Connection") == nil)
            }
            #expect(server.connectionCount == 1)
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        try withServer(router: testRouter()) { _, port in
            let client = try TestHTTPClient(port: port)
            // Slow answers first: a server answering as handlers finish would reorder these.
            let paths = ["/slow?ms=120", "/path?n=1", "/slow?ms=60", "/hello", "/path?n=2", "/slow?ms=1"]
            try client.send(paths.map { get($0) }.joined())
            let expected = ["slow ms=120", "/path|n=1", "slow ms=60", "hello", "/path|n=2", "slow ms=1"]
            for want in expected {
                let r = try client.readResponse()
                #expect(r.status == 200)
                #expect(r.text == want)
            }
        }
    }

    @Test func headAnswersWithLengthButNoBody() throws {
        try withServer(router: testRouter()) { _, port in
            let client = try TestHTTPClient(port: port)
            try client.send("HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            let head = try client.readResponse(isHead: true)
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == "5")
            // If body bytes had been sent, they would be read as the next status line.
            try client.send(get("/path?after=head"))
            let next = try client.readResponse()
            #expect(next.status == 200)
            #expect(next.text == "/path|after=head")
        }
    }

    @Test func unknownPathIs404AndWrongMethodIs405WithAllow() throws {
        try withServer(router: testRouter()) { _, port in
            let client = try TestHTTPClient(port: port)
            try client.send(get("/nope"))
            #expect(try client.readResponse().status == 404)
            try client.send("DELETE /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            let r = try client.readResponse()
            #expect(r.status == 405)
            #expect(r.header("Allow") == "GET, HEAD")
            // Both are ordinary answers: the connection stays usable.
            try client.send(get("/hello"))
            #expect(try client.readResponse().text == "hello")
        }
    }

    @Test func connectionCloseAndHTTP10AreHonoured() throws {
        try withServer(router: testRouter()) { _, port in
            let a = try TestHTTPClient(port: port)
            try a.send(get("/hello", keepAlive: false))
            let r = try a.readResponse()
            #expect(r.header("Connection") == "close")
            #expect(a.readsEOF())

            let b = try TestHTTPClient(port: port)
            try b.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try b.readResponse().header("Connection") == "keep-alive")
            try b.send("GET /hello HTTP/1.0\r\n\r\n")
            #expect(try b.readResponse().header("Connection") == "close")
            #expect(b.readsEOF())
        }
    }

    @Test func halfClosedClientStillGetsItsPipelinedAnswers() throws {
        try withServer(router: testRouter()) { _, port in
            let client = try TestHTTPClient(port: port)
            try client.send(get("/slow?ms=30") + get("/hello"))
            client.shutdownWrite()
            #expect(try client.readResponse().text == "slow ms=30")
            #expect(try client.readResponse().text == "hello")
            #expect(client.readsEOF())
        }
    }

    @Test func halfCloseDoesNotCancelAQueuedBigAnswer() throws {
        let big = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 % 251) }
        let router = testRouter { r in r.add(.get, "/big") { ex in ex.respond(body: .bytes(big)) } }
        try withServer(router: router) { _, port in
            let client = try TestHTTPClient(port: port, receiveBuffer: 16 * 1024)
            try client.send(get("/big"))
            client.shutdownWrite()
            usleep(100_000)  // the server sees EOF while most of the answer is still queued
            let r = try client.readResponse()
            #expect(r.body == big)
            #expect(client.readsEOF())
        }
    }

    @Test func pipelinedFloodWithAFullWriteQueueStaysInOrder() throws {
        let router = testRouter { r in
            r.add(.get, "/mib") { ex in
                let tag = UInt8(ex.head.query) ?? 0
                ex.respond(body: .bytes([UInt8](repeating: tag, count: 1 << 20)))
            }
        }
        // A small high-water mark makes the server stop reading pipelined requests while
        // earlier answers are still queued, and resume as they drain.
        try withServer(configure: { $0.writeHighWaterMark = 64 * 1024 }, router: router) { _, port in
            let client = try TestHTTPClient(port: port, receiveBuffer: 32 * 1024)
            try client.send((0..<24).map { get("/mib?\($0)") }.joined())
            usleep(100_000)
            for i in 0..<24 {
                let r = try client.readResponse()
                #expect(r.body.count == 1 << 20)
                #expect(r.body.allSatisfy { $0 == UInt8(i) }, "answer \(i) out of order")
            }
        }
    }

    @Test func streamedResponseUsesChunkedCoding() throws {
        let router = testRouter { r in
            r.add(.get, "/stream") { ex in
                guard let stream = ex.respondStreaming(headers: ["Content-Type": "text/plain"]) else { return }
                for i in 0..<5 { stream.write(Array("part\(i);".utf8)) }
                stream.end()
            }
        }
        try withServer(router: router) { _, port in
            let client = try TestHTTPClient(port: port)
            try client.send(get("/stream") + get("/hello"))
            let r = try client.readResponse()
            #expect(r.header("Transfer-Encoding") == "chunked")
            #expect(r.text == "part0;part1;part2;part3;part4;")
            #expect(try client.readResponse().text == "hello")
        }
    }

    @Test func streamedResponseOfKnownLengthUsesContentLength() throws {
        let router = testRouter { r in
            r.add(.get, "/sized") { ex in
                guard let stream = ex.respondStreaming(headers: ["Content-Type": "text/plain"], length: 10) else { return }
                stream.write(Array("01234".utf8))
                stream.write(Array("56789".utf8))
                stream.end()
            }
            r.add(.get, "/cut") { ex in
                guard let stream = ex.respondStreaming(length: 10) else { return }
                stream.write(Array("01234".utf8))
                stream.abort()
            }
        }
        try withServer(router: router) { _, port in
            let client = try TestHTTPClient(port: port)
            try client.send(get("/sized") + get("/hello"))
            let r = try client.readResponse()
            #expect(r.header("Content-Length") == "10")
            #expect(r.header("Transfer-Encoding") == nil)
            #expect(r.text == "0123456789")
            #expect(try client.readResponse().text == "hello")

            // HEAD: the head only, with the length the GET would have.
            let head = try TestHTTPClient(port: port)
            try head.send("HEAD /sized HTTP/1.1\r\nHost: x\r\n\r\n")
            let h = try head.readResponse(isHead: true)
            #expect(h.status == 200 && h.header("Content-Length") == "10" && h.body.isEmpty)

            // An aborted body closes the connection short of its length.
            let cut = try TestHTTPClient(port: port)
            try cut.send(get("/cut"))
            let headText = try cut.readHead()
            #expect(headText.contains("Content-Length: 10"))
            #expect(try cut.readToEOF() == Array("01234".utf8))
        }
    }

    @Test func aHeldHeadGoesOutWithTheFirstPieceOrAloneOnAbort() throws {
        let router = testRouter { r in
            r.add(.get, "/held") { ex in
                guard let stream = ex.respondStreaming(headers: ["Content-Type": "text/plain"], length: 10,
                                                       holdingHead: true) else { return }
                stream.write(Array("01234".utf8))
                stream.write(Array("56789".utf8))
                stream.end()
            }
            r.add(.get, "/held-cut") { ex in
                guard let stream = ex.respondStreaming(length: 10, holdingHead: true) else { return }
                stream.abort()
            }
        }
        try withServer(router: router) { _, port in
            let client = try TestHTTPClient(port: port)
            try client.send(get("/held") + get("/hello"))
            let r = try client.readResponse()
            #expect(r.header("Content-Length") == "10" && r.header("Content-Type") == "text/plain")
            #expect(r.text == "0123456789")
            #expect(try client.readResponse().text == "hello")

            // HEAD: nothing is held (no body), the head goes out as usual.
            let head = try TestHTTPClient(port: port)
            try head.send("HEAD /held HTTP/1.1\r\nHost: x\r\n\r\n")
            let h = try head.readResponse(isHead: true)
            #expect(h.status == 200 && h.header("Content-Length") == "10" && h.body.isEmpty)

            // Aborted before any piece: the held head still goes out, then the connection closes
            // short of its length.
            let cut = try TestHTTPClient(port: port)
            try cut.send(get("/held-cut"))
            #expect(try cut.readHead().contains("Content-Length: 10"))
            #expect(try cut.readToEOF().isEmpty)
        }
    }
}
