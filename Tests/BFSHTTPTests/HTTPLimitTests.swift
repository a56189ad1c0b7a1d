import BFSTestSupport
import BFSLoop
import Glibc
import Testing
@testable import BFSHTTP

@Suite struct HTTPLimitTests {
    /// Sends `request`, expects `status` with `Connection: close`, then EOF.
    private func expectRejected(_ request: String, status: Int, port: Int) throws {
        let client = try TestHTTPClient(port: port)
        try client.send(request)
        let r = try client.readResponse()
        #expect(r.status == status, "request \(request.prefix(40).debugDescription)")
        #expect(r.header("Connection") == "close")
        #expect(client.readsEOF())
    }

    @Test func malformedRequestIs400() throws {
        try withServer(router: testRouter()) { _, port in
            try expectRejected("GET /hello HTTP/1.1\r\nNo colon here\r\n\r\n", status: 400, port: port)
            try expectRejected("GET /hello HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", status: 400, port: port)
        }
    }

    @Test func unknownMethodIs501() throws {
        try withServer(router: testRouter()) { _, port in
            try expectRejected("BREW /hello HTTP/1.1\r\nHost: t\r\n\r\n", status: 501, port: port)
            try expectRejected("get /hello HTTP/1.1\r\nHost: t\r\n\r\n", status: 501, port: port)
        }
    }

    /// A request line that is not `token SP target SP HTTP/d.d` is a bad request, not an
    /// unimplemented method, even where http-parser stops at the method.
    @Test(arguments: [
        "GET\r\n\r\n",
        " GET /hello HTTP/1.1\r\n\r\n",
        "G\u{0}ET /hello HTTP/1.1\r\n\r\n",
        "BREW\r\n\r\n",
        "BREW  /hello HTTP/1.1\r\n\r\n",
        "BREW /hello\r\n\r\n",
        "BREW /hello HTTP/1.1 extra\r\n\r\n",
        "BR(EW /hello HTTP/1.1\r\n\r\n",
    ])
    func malformedRequestLineIs400(line: String) throws {
        try withServer(router: testRouter()) { _, port in
            try expectRejected(line, status: 400, port: port)
        }
    }

    @Test func tlsHandshakeOnThePlainPortIs400() throws {
        // The start of a TLS 1.2 ClientHello record.
        let hello: [UInt8] = [0x16, 0x03, 0x01, 0x00, 0xA5, 0x01, 0x00, 0x00, 0xA1, 0x03, 0x03] + Array(repeating: 0x42, count: 32)
        try withServer(router: testRouter()) { _, port in
            let client = try TestHTTPClient(port: port)
            try client.send(hello)
            #expect(try client.readResponse().status == 400)
            #expect(client.readsEOF())
        }
    }

    /// The method is classified from the whole request line even when it arrives in pieces.
    @Test func requestLineInPiecesIsClassifiedWhole() throws {
        try withServer(router: testRouter()) { _, port in
            for (pieces, status) in [(["BR", "EW /a HT", "TP/1.1\r\n\r\n"], 501), (["BR", "EW\r\n\r\n"], 400)] {
                let client = try TestHTTPClient(port: port)
                for piece in pieces {
                    try client.send(piece)
                    usleep(20_000)  // separate reads on the server
                }
                #expect(try client.readResponse().status == status, "\(pieces)")
            }
        }
    }

    @Test func oversizedHeadIs431() throws {
        try withServer(configure: { $0.maxHeaderBytes = 1024 }, router: testRouter()) { _, port in
            let big = String(repeating: "a", count: 2000)
            try expectRejected("GET /hello HTTP/1.1\r\nHost: t\r\nX-Big: \(big)\r\n\r\n", status: 431, port: port)
            // Just under the limit is fine.
            let client = try TestHTTPClient(port: port)
            try client.send("GET /hello HTTP/1.1\r\nX-Ok: \(String(repeating: "b", count: 900))\r\n\r\n")
            #expect(try client.readResponse().status == 200)
        }
    }

    @Test func oversizedBodyIs413ByLengthAndByChunks() throws {
        try withServer(configure: { $0.maxBodyBytes = 1000 }, router: testRouter()) { _, port in
            // Declared too large: answered before any body byte is sent.
            try expectRejected("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n", status: 413, port: port)
            // Chunked: found out while streaming; the rest of the upload is drained, not reset.
            let chunk = String(repeating: "x", count: 600)
            let request = "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n0\r\n\r\n"
            try expectRejected(request, status: 413, port: port)
        }
    }

    @Test func handlerLimitOnCollectedBodyIs413() throws {
        let router = testRouter { r in
            r.add(.post, "/small") { ex in
                ex.collectBody(limit: 10) { result in
                    if case .success(let b) = result { ex.respond(body: .bytes(b)) }
                }
            }
        }
        try withServer(router: router) { _, port in
            try expectRejected("POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 20\r\n\r\n01234567890123456789", status: 413, port: port)
        }
    }

    @Test func slowHeaderClientIsCutOffWhileOthersAreServed() throws {
        try withServer(configure: { $0.headerTimeoutMilliseconds = 300 }, router: testRouter()) { _, port in
            let slow = try TestHTTPClient(port: port)
            try slow.send("GET /hello HTTP/1.1\r\nHost: t\r\n")  // the head never ends
            for _ in 0..<5 {
                let other = try TestHTTPClient(port: port)
                try other.send(get("/hello"))
                #expect(try other.readResponse().text == "hello")
            }
            let r = try slow.readResponse()
            #expect(r.status == 408)
            #expect(slow.readsEOF())
        }
    }

    @Test func connectionsBeyondTheLimitAreClosedAtOnce() throws {
        try withServer(configure: { $0.maxConnectionsPerLoop = 2 }, router: testRouter()) { server, port in
            let a = try TestHTTPClient(port: port)
            let b = try TestHTTPClient(port: port)
            #expect(waitUntil { server.connectionCount == 2 })
            let c = try TestHTTPClient(port: port)
            #expect(c.readsEOF())
            for client in [a, b] {
                try client.send(get("/hello"))
                #expect(try client.readResponse().text == "hello")
            }
        }
    }

    @Test func idleKeepAliveConnectionIsClosed() throws {
        try withServer(configure: { $0.idleTimeoutMilliseconds = 200 }, router: testRouter()) { server, port in
            let client = try TestHTTPClient(port: port)
            try client.send(get("/hello"))
            #expect(try client.readResponse().status == 200)
            #expect(client.readsEOF())
            #expect(waitUntil { server.connectionCount == 0 })
        }
    }

    @Test func stalledBodyIs408() throws {
        try withServer(configure: { $0.bodyTimeoutMilliseconds = 200 }, router: testRouter()) { _, port in
            let client = try TestHTTPClient(port: port)
            try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
            let r = try client.readResponse()
            #expect(r.status == 408)
            #expect(client.readsEOF())
        }
    }
}
