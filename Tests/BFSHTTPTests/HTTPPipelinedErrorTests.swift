import BFSTestSupport
import Glibc
import Testing
@testable import BFSHTTP

/// A request that fails to parse behind an answer still being sent: the answer is finished,
/// then the connection closes lingering, so the client never sees a reset mid-body.
@Suite struct HTTPPipelinedErrorTests {
    static let big = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 % 251) }

    /// `answersFailure`: the upload handler answers a failed body itself (as the store's
    /// handlers do) instead of leaving the 400 to the server.
    func router(answersFailure: Bool) -> HTTPRouter {
        testRouter { r in
            r.add(.get, "/big") { ex in ex.respond(body: .bytes(Self.big)) }
            r.add(.post, "/upload") { ex in
                ex.collectBody { result in
                    switch result {
                    case .success(let body): ex.respond(body: .bytes(body))
                    case .failure: if answersFailure { ex.respond(status: .badRequest, body: .bytes(Array("bad body".utf8))) }
                    }
                }
            }
        }
    }

    /// `trailing`: bytes the client sent after the bad chunk, which the server must read and
    /// discard rather than close on (a close with unread input sends a reset).
    @Test(arguments: [false, true], [0, 32 * 1024])
    func badChunkSizeBehindABigAnswerLetsTheAnswerFinish(answersFailure: Bool, trailing: Int) throws {
        try withServer(router: router(answersFailure: answersFailure)) { _, port in
            let client = try TestHTTPClient(port: port, receiveBuffer: 16 * 1024)
            try client.send(get("/big")
                + "POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n"
                + String(repeating: "x", count: trailing))
            var reads = 0
            let head = try client.readHead()
            #expect(head.hasPrefix("HTTP/1.1 200 OK"))
            // Read slowly at first, so the bad chunk is parsed while most of the answer is queued.
            let body = try client.read(count: Self.big.count, pause: {
                reads += 1
                if reads < 10 { usleep(20_000) }
            })
            #expect(body == Self.big)
            let second = try client.readResponse()
            #expect(second.status == 400)
            #expect(second.header("Connection") == "close")
            #expect(client.readsEOF())
        }
    }
}
