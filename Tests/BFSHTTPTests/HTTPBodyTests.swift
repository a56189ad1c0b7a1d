import BFSTestSupport
import BFSLoop
import Glibc
import Testing
@testable import BFSHTTP

/// What the streaming handler saw, read by the test thread.
struct BodyLog: Sendable {
    var chunks = 0
    var bytes = 0
    var sum: UInt64 = 0
}

/// A handler that consumes the body piece by piece and reports what it saw.
func streamingRouter(_ log: Locked<BodyLog>) -> HTTPRouter {
    testRouter { r in
        r.add(.post, "/stream") { ex in
            ex.readBody(onChunk: { chunk in
                log.with { l in
                    l.chunks += 1
                    l.bytes += chunk.count
                    for b in chunk { l.sum &+= UInt64(b) }
                }
            }, onEnd: { error in
                let l = log.get
                ex.respond(body: .bytes(Array("error=\(String(describing: error)) bytes=\(l.bytes) sum=\(l.sum)".utf8)))
            })
        }
    }
}

@Suite struct HTTPBodyTests {
    @Test func contentLengthBodyReachesTheHandlerWhileItArrives() throws {
        let seed = UInt64(time(nil))
        print("contentLengthBody seed \(seed)")
        var gen = SeededGenerator(seed: seed)
        let body = gen.bytes(300_000)
        let log = Locked(BodyLog())
        try withServer(router: streamingRouter(log)) { _, port in
            let client = try TestHTTPClient(port: port)
            try client.send("POST /stream HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.count)\r\n\r\n")
            try client.send(Array(body[0..<1000]))
            // The handler sees the first piece before the client sends the rest: streamed, not buffered.
            #expect(waitUntil { log.get.bytes == 1000 })
            try client.send(Array(body[1000...]))
            let r = try client.readResponse()
            let sum = body.reduce(UInt64(0)) { $0 &+ UInt64($1) }
            #expect(r.text == "error=nil bytes=\(body.count) sum=\(sum)")
            #expect(log.get.chunks >= 2)
        }
    }

    @Test func chunkedBodyIsDecodedAndStreamed() throws {
        let log = Locked(BodyLog())
        try withServer(router: streamingRouter(log)) { _, port in
            let client = try TestHTTPClient(port: port)
            try client.send("POST /stream HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
            try client.send("5\r\nhello\r\n")
            #expect(waitUntil { log.get.bytes == 5 })
            try client.send("6\r\n world\r\n0\r\n\r\n")
            let r = try client.readResponse()
            let sum = Array("hello world".utf8).reduce(UInt64(0)) { $0 + UInt64($1) }
            #expect(r.text == "error=nil bytes=11 sum=\(sum)")
            // Keep-alive after a chunked request.
            try client.send(get("/hello"))
            #expect(try client.readResponse().text == "hello")
        }
    }

    @Test func collectBodyEchoesPipelinedPosts() throws {
        try withServer(router: testRouter()) { _, port in
            let client = try TestHTTPClient(port: port)
            let one = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
            let two = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\ndefg"
            try client.send(one + two + get("/hello"))
            #expect(try client.readResponse().text == "abc")
            #expect(try client.readResponse().text == "defg")
            #expect(try client.readResponse().text == "hello")
        }
    }

    @Test func continueIsSentOnlyWhenTheHandlerWantsTheBody() throws {
        try withServer(router: testRouter()) { _, port in
            let client = try TestHTTPClient(port: port)
            try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
            let interim = try client.readResponse()
            #expect(interim.status == 100)
            try client.send("12345")
            let r = try client.readResponse()
            #expect(r.status == 200)
            #expect(r.text == "12345")

            // No route: the answer comes without 100 Continue, and since the body was never
            // read the connection closes after it.
            let other = try TestHTTPClient(port: port)
            try other.send("POST /nowhere HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
            let r2 = try other.readResponse()
            #expect(r2.status == 404)
            #expect(r2.header("Connection") == "close")
            #expect(other.readsEOF())
        }
    }
}
