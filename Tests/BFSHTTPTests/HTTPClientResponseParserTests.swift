import Testing
@testable import BFSHTTP

/// What the response parser reported, with the body joined.
struct ClientParsedResponse: Equatable {
    var heads: [HTTPClientResponseHead] = []
    var body: [UInt8] = []
    var ended = false
    var used = 0
}

func clientParseResponse(_ chunks: [ArraySlice<UInt8>], head: Bool = false, maxHeadSize: Int = 4096,
                   endOfStream: Bool = false) throws -> ClientParsedResponse
{
    var parser = HTTPClientResponseParser(maxHeadSize: maxHeadSize, isHeadRequest: head)
    var parsed = ClientParsedResponse()
    let handler: (HTTPClientResponseParser.Event) throws -> Void = { event in
        switch event {
        case .head(let head): parsed.heads.append(head)
        case .body(let bytes): parsed.body.append(contentsOf: bytes)
        case .end: parsed.ended = true
        }
    }
    for chunk in chunks {
        parsed.used += try Array(chunk).withUnsafeBytes { try parser.feed($0, handler) }
    }
    if endOfStream { try parser.finishAtEndOfStream(handler) }
    return parsed
}

func clientParseResponse(_ text: String, head: Bool = false, endOfStream: Bool = false) throws
    -> ClientParsedResponse
{
    try clientParseResponse([Array(text.utf8)[...]], head: head, endOfStream: endOfStream)
}

@Suite struct HTTPClientResponseParserTests {
    @Test func contentLengthBody() throws {
        let parsed = try clientParseResponse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b \r\n\r\nhello")
        #expect(parsed.heads == [HTTPClientResponseHead(status: .ok, headers: [
            .init(name: "Content-Length", value: "5"), .init(name: "X-A", value: "b")])])
        #expect(parsed.body == Array("hello".utf8))
        #expect(parsed.ended)
    }

    static let chunkedText = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
        + "5;name=value\r\nhello\r\n1\r\n \r\nA \r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n"

    @Test func chunkedBodyWithExtensionsAndTrailersAtEverySplit() throws {
        let bytes = Array(Self.chunkedText.utf8)
        let whole = try clientParseResponse([bytes[...]])
        #expect(whole.body == Array("hello 0123456789".utf8))
        #expect(whole.ended)
        #expect(whole.used == bytes.count)
        for cut in 0...bytes.count {
            #expect(try clientParseResponse(cutBody(bytes, at: [cut])) == whole, "cut at \(cut)")
        }
        #expect(try clientParseResponse(cutBody(bytes, at: Array(1..<bytes.count))) == whole)
    }

    @Test func bareLineFeedsAreAccepted() throws {
        let parsed = try clientParseResponse("HTTP/1.0 404 Not Found\nContent-Length: 2\n\nno")
        #expect(parsed.heads.first?.status == .notFound)
        #expect(parsed.heads.first?.minorVersion == 0)
        #expect(parsed.body == Array("no".utf8))
    }

    @Test func bodylessResponses() throws {
        let head = try clientParseResponse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", head: true)
        #expect(head.ended && head.body.isEmpty)
        for code in [204, 304] {
            let parsed = try clientParseResponse("HTTP/1.1 \(code) X\r\nContent-Length: 10\r\n\r\n")
            #expect(parsed.ended && parsed.body.isEmpty)
        }
        let empty = try clientParseResponse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        #expect(empty.ended)
    }

    @Test func interimResponsesAreSkipped() throws {
        let parsed = try clientParseResponse(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx")
        #expect(parsed.heads.map(\.status) == [.created])
        #expect(parsed.body == Array("x".utf8))
    }

    @Test func bodyUntilClose() throws {
        let open = try clientParseResponse("HTTP/1.1 200 OK\r\n\r\npart one, ")
        #expect(!open.ended)
        let closed = try clientParseResponse("HTTP/1.1 200 OK\r\n\r\nall of it", endOfStream: true)
        #expect(closed.ended)
        #expect(closed.body == Array("all of it".utf8))
    }

    @Test func stopsAtTheEndOfTheResponse() throws {
        let parsed = try clientParseResponse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA")
        #expect(parsed.used == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8.count)
        #expect(parsed.body == Array("ok".utf8))
    }

    @Test func truncatedResponsesFailAtEndOfStream() {
        for text in ["HTTP/1.1 200 OK\r\nContent-Le", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel",
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"] {
            #expect(throws: HTTPClientError.connectionClosed) {
                try clientParseResponse(text, endOfStream: true)
            }
        }
    }

    @Test(arguments: [
        "HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 200OK\r\n\r\n", "ICY 200 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nNo colon\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n",
        "HTTP/1.1 101 Switching Protocols\r\n\r\n",
    ])
    func malformedResponses(text: String) {
        #expect(throws: HTTPClientError.self) { try clientParseResponse(text) }
    }

    @Test func repeatedEqualContentLengthsAreFine() throws {
        let parsed = try clientParseResponse("HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\nContent-Length: 1\r\n\r\nz")
        #expect(parsed.body == Array("z".utf8))
    }

    @Test func headSizeLimit() throws {
        let text = "HTTP/1.1 200 OK\r\nX: " + String(repeating: "a", count: 100) + "\r\n\r\n"
        _ = try clientParseResponse([Array(text.utf8)[...]], maxHeadSize: text.utf8.count)
        #expect(throws: HTTPClientError.responseHeadTooLarge(limit: 64)) {
            try clientParseResponse([Array(text.utf8)[...]], maxHeadSize: 64)
        }
    }

    @Test func keepAliveRules() {
        func head(_ minor: Int, _ connection: String?) -> HTTPClientResponseHead {
            HTTPClientResponseHead(status: .ok, minorVersion: minor,
                                   headers: connection.map { [.init(name: "Connection", value: $0)] } ?? [])
        }
        #expect(head(1, nil).allowsKeepAlive)
        #expect(!head(1, "close").allowsKeepAlive)
        #expect(!head(1, "Upgrade, Close").allowsKeepAlive)
        #expect(!head(0, nil).allowsKeepAlive)
        #expect(head(0, "Keep-Alive").allowsKeepAlive)
    }
}
