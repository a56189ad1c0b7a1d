import Testing
@testable import BFSHTTP

/// What a parse produced: each part's headers with its content joined, and the end events.
struct MultipartRecording: MultipartParserDelegate, Equatable {
    struct Part: Equatable {
        var part: MultipartPart
        var data: [UInt8] = []
        var ended = false
    }

    var parts: [Part] = []
    var bodyEnded = false
    /// Set if the parser ever broke its contract (data outside a part, an empty slice...).
    var contractViolation: String?

    mutating func didBeginPart(_ part: MultipartPart) throws {
        if let last = parts.last, !last.ended { contractViolation = "part began inside a part" }
        parts.append(Part(part: part))
    }

    mutating func didReceivePartData(_ bytes: UnsafeRawBufferPointer) throws {
        if bytes.isEmpty { contractViolation = "empty data slice" }
        guard !parts.isEmpty, !parts[parts.count - 1].ended else {
            contractViolation = "data outside a part"
            return
        }
        parts[parts.count - 1].data.append(contentsOf: bytes)
    }

    mutating func didEndPart() throws {
        guard !parts.isEmpty, !parts[parts.count - 1].ended else {
            contractViolation = "end without a part"
            return
        }
        parts[parts.count - 1].ended = true
    }

    mutating func didEndBody() throws {
        if bodyEnded { contractViolation = "body ended twice" }
        bodyEnded = true
    }
}

/// Test helpers shared by the multipart suites.
enum MultipartFixture {
    static let boundary = "----bfsTestBoundary7MA4YWxkTrZu0gW"

    /// Binary content with decoys: CRs, CRLF-dash runs and every proper prefix of the delimiter.
    static var trickyBinary: [UInt8] {
        var data: [UInt8] = [0x00, 0xFF, 0x0D, 0x0D, 0x0A, 0x0D, 0x0A, 0x2D, 0x0D]
        let delimiter = Array("\r\n--\(boundary)".utf8)
        for length in 1..<delimiter.count {
            data += delimiter[0..<length]
            data.append(0x41 &+ UInt8(length))
        }
        data += Array("--\(boundary)".utf8)          // at a line start but without the CRLF
        data += Array("\n--\(boundary)\r\n".utf8)    // LF only: not a delimiter either
        data += delimiter.dropLast()                  // all but the last boundary byte, then CR
        data += [0x0D, 0x0A, 0x2D, 0x2D]
        for value in 0..<256 { data.append(UInt8(value)) }
        data += [0x0D]                                 // ends with a CR just before the delimiter
        return data
    }

    /// Two fields and two files, with a preamble, transport padding and an epilogue.
    static var body: [UInt8] {
        var body = Array("This is the preamble, ignored.\r\n--\(boundary)\r\n".utf8)
        body += Array("Content-Disposition: form-data; name=\"vid\"\r\n\r\n1".utf8)
        body += Array("\r\n--\(boundary) \t\r\n".utf8)
        body += Array("content-disposition: form-data; name=key\r\n\r\n42".utf8)
        body += Array("\r\n--\(boundary)\r\n".utf8)
        body += Array("Content-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n".utf8)
        body += Array("Content-Type: text/plain\r\n\r\nhello\r\nworld\r\n".utf8)
        body += Array("\r\n--\(boundary)\r\n".utf8)
        body += Array("Content-Disposition: form-data; name=\"file\"; filename=\"b.bin\"\r\n".utf8)
        body += Array("Content-Type: application/octet-stream\r\n\r\n".utf8)
        body += trickyBinary
        body += Array("\r\n--\(boundary)--\r\nEpilogue --\(boundary)\r\n".utf8)
        return body
    }

    /// The parts `body` holds.
    static var expectedParts: [MultipartRecording.Part] {
        func headers(_ pairs: (String, String)...) -> [FormFields.Pair] {
            pairs.map { FormFields.Pair(name: $0.0, value: $0.1) }
        }
        return [
            .init(part: MultipartPart(name: "vid", headers: headers(
                ("Content-Disposition", "form-data; name=\"vid\""))),
                  data: Array("1".utf8), ended: true),
            .init(part: MultipartPart(name: "key", headers: headers(
                ("content-disposition", "form-data; name=key"))),
                  data: Array("42".utf8), ended: true),
            .init(part: MultipartPart(name: "file", filename: "a.txt", contentType: "text/plain",
                                      headers: headers(
                ("Content-Disposition", "form-data; name=\"file\"; filename=\"a.txt\""),
                ("Content-Type", "text/plain"))),
                  data: Array("hello\r\nworld\r\n".utf8), ended: true),
            .init(part: MultipartPart(name: "file", filename: "b.bin",
                                      contentType: "application/octet-stream", headers: headers(
                ("Content-Disposition", "form-data; name=\"file\"; filename=\"b.bin\""),
                ("Content-Type", "application/octet-stream"))),
                  data: trickyBinary, ended: true),
        ]
    }

    /// Parses `body` fed as the given chunks, then finishes.
    static func parse(_ chunks: [ArraySlice<UInt8>], boundary: String = boundary,
                      limits: MultipartParser.Limits = .init()) throws -> MultipartRecording
    {
        var parser = try MultipartParser(boundary: boundary, limits: limits)
        var recording = MultipartRecording()
        for chunk in chunks { try parser.feed(chunk, to: &recording) }
        try parser.finish()
        return recording
    }

    /// Parses `body` in one chunk.
    static func parse(_ body: [UInt8], limits: MultipartParser.Limits = .init()) throws
        -> MultipartRecording
    {
        try parse([body[...]], limits: limits)
    }
}

@Suite struct MultipartParserTests {
    @Test func parsesTwoFieldsAndTwoFiles() throws {
        let recording = try MultipartFixture.parse(MultipartFixture.body)
        #expect(recording.contractViolation == nil)
        #expect(recording.parts == MultipartFixture.expectedParts)
        #expect(recording.bodyEnded)
    }

    @Test func firstBoundaryOnFirstLineAndEmptyParts() throws {
        let b = MultipartFixture.boundary
        let body = "--\(b)\r\n\r\n\r\n--\(b)\r\nContent-Disposition: form-data; name=\"e\"\r\n\r\n\r\n--\(b)--"
        let recording = try MultipartFixture.parse(Array(body.utf8))
        #expect(recording.parts == [
            .init(part: MultipartPart(name: nil), data: [], ended: true),
            .init(part: MultipartPart(name: "e", headers: [.init(
                name: "Content-Disposition", value: "form-data; name=\"e\"")]), data: [], ended: true),
        ])
        #expect(recording.bodyEnded)
    }

    @Test func bodyWithNoParts() throws {
        let recording = try MultipartFixture.parse(Array("--\(MultipartFixture.boundary)--\r\n".utf8))
        #expect(recording.parts.isEmpty)
        #expect(recording.bodyEnded)
    }

    @Test func boundaryMustStartALine() throws {
        let b = MultipartFixture.boundary
        // "x--B" is preamble, not a delimiter; the real one follows.
        let body = "x--\(b)\r\n--\(b)\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--\(b)--"
        let recording = try MultipartFixture.parse(Array(body.utf8))
        #expect(recording.parts.map(\.data) == [Array("v".utf8)])
    }

    @Test func everyTruncationIsReported() throws {
        let body = MultipartFixture.body
        let closeEnd = Array(body).indices.first {
            body[$0...].starts(with: Array("\r\n--\(MultipartFixture.boundary)--".utf8))
        }! + 4 + MultipartFixture.boundary.utf8.count + 2
        for length in 0..<closeEnd {
            #expect(throws: FormDataError.truncatedBody) {
                _ = try MultipartFixture.parse(Array(body[0..<length]))
            }
        }
        #expect(try MultipartFixture.parse(Array(body[0..<closeEnd])).bodyEnded)
    }

    @Test(arguments: [
        "--B\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--Bx\r\n",
        "--B\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--B\n",
        "--B\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--B-x",
        "--B\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--B \rX",
    ])
    func malformedDelimiterLines(body: String) throws {
        var parser = try MultipartParser(boundary: "B")
        var recording = MultipartRecording()
        #expect(throws: FormDataError.malformedDelimiter) {
            try parser.feed(Array(body.utf8), to: &recording)
            try parser.finish()
        }
    }

    @Test(arguments: [
        "NoColonHere\r\n\r\n",
        "Content-Type: text/plain\nX: y\r\n\r\n",
        "Content-Type: text/pl\rain\r\n\r\n",
        " folded-without-a-header\r\n\r\n",
        ": empty name\r\n\r\n",
        "Bad Name: x\r\n\r\n",
        "Content-Disposition: form-data; name=\"unterminated\r\n\r\n",
    ])
    func malformedPartHeaders(headers: String) throws {
        let body = "--B\r\n" + headers + "v\r\n--B--"
        var parser = try MultipartParser(boundary: "B")
        var recording = MultipartRecording()
        #expect(throws: FormDataError.self) { try parser.feed(Array(body.utf8), to: &recording) }
        #expect(recording.parts.isEmpty)
    }

    @Test func foldedHeaderAndExtendedFilename() throws {
        let body = "--B\r\nContent-Disposition: form-data; name=\"f\";\r\n filename=\"plain.txt\";"
            + " filename*=UTF-8''%E2%82%AC%20rates.txt\r\n\r\nx\r\n--B--"
        var parser = try MultipartParser(boundary: "B")
        var recording = MultipartRecording()
        try parser.feed(Array(body.utf8), to: &recording)
        try parser.finish()
        #expect(recording.parts.first?.part.name == "f")
        #expect(recording.parts.first?.part.filename == "€ rates.txt")
    }

    @Test func failedParserStaysClosed() throws {
        var parser = try MultipartParser(boundary: "B")
        var recording = MultipartRecording()
        #expect(throws: FormDataError.malformedDelimiter) {
            try parser.feed(Array("--B?".utf8), to: &recording)
        }
        #expect(throws: FormDataError.malformedDelimiter) {
            try parser.feed(Array("--B--".utf8), to: &recording)
        }
        #expect(throws: FormDataError.malformedDelimiter) { try parser.finish() }
    }

    @Test func finishedParserRejectsMoreInput() throws {
        var parser = try MultipartParser(boundary: "B")
        var recording = MultipartRecording()
        try parser.feed(Array("--B--\r\nepilogue".utf8), to: &recording)
        #expect(parser.isComplete)
        try parser.finish()
        #expect(throws: FormDataError.parserClosed) {
            try parser.feed(Array("more".utf8), to: &recording)
        }
    }

    struct Refusal: Error, Equatable {}

    /// A delegate that refuses file data, as a store does when a volume is full.
    struct RefusingDelegate: MultipartParserDelegate {
        mutating func didBeginPart(_ part: MultipartPart) throws {}
        mutating func didReceivePartData(_ bytes: UnsafeRawBufferPointer) throws { throw Refusal() }
        mutating func didEndPart() throws {}
        mutating func didEndBody() throws {}
    }

    @Test func delegateErrorsPropagateAndCloseTheParser() throws {
        var parser = try MultipartParser(boundary: MultipartFixture.boundary)
        var delegate = RefusingDelegate()
        #expect(throws: Refusal()) { try parser.feed(MultipartFixture.body, to: &delegate) }
        #expect(throws: FormDataError.parserClosed) { try parser.feed([0x41], to: &delegate) }
    }
}
