import BFSLoop
import Testing
@testable import BFSHTTP

/// A body source of `pieces` pieces of `pieceSize` bytes each (byte i of the body is `i % 251`),
/// that claims `length` bytes and counts how often it was asked.
final class CountingBodySource: HTTPClientBodySource, @unchecked Sendable {
    let length: Int
    let pieceSize: Int
    let pieces: Int
    /// Pieces handed out (loop thread only).
    var produced = 0

    init(pieceSize: Int, pieces: Int, length: Int? = nil) {
        self.pieceSize = pieceSize
        self.pieces = pieces
        self.length = length ?? pieceSize * pieces
    }

    /// The whole body this source streams.
    var expectedBody: [UInt8] { (0..<(pieceSize * pieces)).map { UInt8($0 % 251) } }

    func next(on loop: EventLoop, _ deliver: @escaping (Result<[UInt8], HTTPClientError>) -> Void) {
        precondition(loop.inEventLoop)
        guard produced < pieces else { return deliver(.success([])) }
        let start = produced * pieceSize
        produced += 1
        let piece = (start..<(start + pieceSize)).map { UInt8($0 % 251) }
        deliver(.success(piece))
    }
}

/// A source that fails after its first piece.
final class FailingBodySource: HTTPClientBodySource, @unchecked Sendable {
    let length = 100
    private var calls = 0
    func next(on loop: EventLoop, _ deliver: @escaping (Result<[UInt8], HTTPClientError>) -> Void) {
        calls += 1
        deliver(calls == 1 ? .success([UInt8](repeating: 1, count: 10)) : .failure(.bodySourceFailed("disk gone")))
    }
}

@Suite struct HTTPClientBodySourceTests {
    @Test func streamedBodyArrivesWholeWithItsLength() throws {
        let harness = try ClientHarness(respond: clientStandardAnswer)
        let source = CountingBodySource(pieceSize: 64 * 1024, pieces: 40)
        let request = HTTPClientRequest(method: "PUT", host: "127.0.0.1", port: harness.origin.port,
                                        target: "/echo", bodySource: source)
        let response = try #require(harness.run([request, harness.get("/hello")]))
        let echoed = try response[0].get()
        #expect(echoed.status == .ok)
        #expect(echoed.body == source.expectedBody)
        #expect(try response[1].get().text == "hello")
        let (lengthHeader, produced) = try harness.loop.submitAndWait { [harness] in
            (harness.origin.requests.first?.header("content-length"), source.produced)
        }
        #expect(lengthHeader == String(40 * 64 * 1024))
        #expect(produced == 40)
        // The finished connection was pooled and reused for the second request.
        #expect(try harness.acceptedCount() == 1)
        #expect(try harness.finish() == 0)
    }

    @Test func sourceShorterThanItsLengthFailsTheRequest() throws {
        let harness = try ClientHarness(respond: clientStandardAnswer)
        let source = CountingBodySource(pieceSize: 1000, pieces: 3, length: 5000)
        let request = HTTPClientRequest(method: "PUT", host: "127.0.0.1", port: harness.origin.port,
                                        target: "/echo", bodySource: source)
        let result = try #require(harness.run([request])?.first)
        #expect(throws: HTTPClientError.bodySourceFailed("body ended after 3000 of 5000 bytes")) { try result.get() }
        #expect(try harness.finish() == 0)
    }

    @Test func sourceLongerThanItsLengthFailsTheRequest() throws {
        let harness = try ClientHarness(respond: clientStandardAnswer)
        let source = CountingBodySource(pieceSize: 1000, pieces: 3, length: 2500)
        let request = HTTPClientRequest(method: "PUT", host: "127.0.0.1", port: harness.origin.port,
                                        target: "/echo", bodySource: source)
        let result = try #require(harness.run([request])?.first)
        #expect(throws: HTTPClientError.bodySourceFailed("body longer than its 2500 bytes")) { try result.get() }
        #expect(try harness.finish() == 0)
    }

    @Test func sourceErrorFailsTheRequest() throws {
        let harness = try ClientHarness(respond: clientStandardAnswer)
        let request = HTTPClientRequest(method: "PUT", host: "127.0.0.1", port: harness.origin.port,
                                        target: "/echo", bodySource: FailingBodySource())
        let result = try #require(harness.run([request])?.first)
        #expect(throws: HTTPClientError.bodySourceFailed("disk gone")) { try result.get() }
        #expect(try harness.finish() == 0)
    }

    @Test func streamedPutIsNotResentAfterAStaleConnection() throws {
        let harness = try ClientHarness(respond: HTTPClientTests.hangUpOnReuse)
        let source = CountingBodySource(pieceSize: 1000, pieces: 2)
        let put = HTTPClientRequest(method: "PUT", host: "127.0.0.1", port: harness.origin.port, target: "/echo",
                                    bodySource: source)
        let results = try #require(harness.run([harness.get("/hello"), put]))
        #expect(try results[0].get().text == "hello")
        // PUT is idempotent, but the source was already read from: it cannot be sent again.
        #expect(throws: HTTPClientError.connectionClosed) { try results[1].get() }
        #expect(try harness.acceptedCount() == 1)
        #expect(try harness.finish() == 0)
    }

    @Test func earlyAnswerStopsReadingTheSource() throws {
        let harness = try ClientHarness(respond: clientStandardAnswer)
        let source = CountingBodySource(pieceSize: 64 * 1024, pieces: 1024)
        let upload = HTTPClientRequest(method: "PUT", host: "127.0.0.1", port: harness.origin.port,
                                       target: "/early", bodySource: source)
        let results = try #require(harness.run([upload, harness.get("/hello")]))
        #expect(try results[0].get().status == .contentTooLarge)
        #expect(try results[1].get().text == "hello")
        // The unsent rest of the body is never read, and its connection is not reused.
        let produced = try harness.loop.submitAndWait { source.produced }
        #expect(produced < 1024)
        #expect(try harness.acceptedCount() == 2)
        #expect(try harness.finish() == 0)
    }
}
