import Testing
@testable import BFSHTTP

@Suite struct MultipartLimitTests {
    /// A body of `count` parts named p0, p1… each holding `content`.
    func body(parts count: Int, content: String, extraHeader: String = "") -> [UInt8] {
        var text = ""
        for index in 0..<count {
            text += "--B\r\nContent-Disposition: form-data; name=\"p\(index)\"\r\n\(extraHeader)\r\n"
            text += content + "\r\n"
        }
        return Array((text + "--B--\r\n").utf8)
    }

    func parse(_ body: [UInt8], _ limits: MultipartParser.Limits, split: Int? = nil) throws {
        var parser = try MultipartParser(boundary: "B", limits: limits)
        var recording = MultipartRecording()
        for chunk in cutBody(body, at: split.map { [$0] } ?? []) {
            try parser.feed(chunk, to: &recording)
        }
        try parser.finish()
    }

    @Test func partCountLimit() throws {
        try parse(body(parts: 3, content: "x"), .init(maxParts: 3))
        #expect(throws: FormDataError.tooManyParts(limit: 2)) {
            try parse(body(parts: 3, content: "x"), .init(maxParts: 2))
        }
    }

    @Test func partSizeLimitNamesThePart() throws {
        try parse(body(parts: 2, content: "12345"), .init(maxPartSize: 5))
        for split in [0, 40, 44, 45, 46, 50] {
            #expect(throws: FormDataError.partTooLarge(name: "p0", limit: 4)) {
                try parse(body(parts: 2, content: "12345"), .init(maxPartSize: 4), split: split)
            }
        }
    }

    @Test func partSizeLimitCountsHeldBackDelimiterBytes() throws {
        // Content "\r\n--" looks like a delimiter start until the next byte; it still counts.
        let content = "ab\r\n--x"
        try parse(body(parts: 1, content: content), .init(maxPartSize: 7))
        #expect(throws: FormDataError.partTooLarge(name: "p0", limit: 6)) {
            try parse(body(parts: 1, content: content), .init(maxPartSize: 6))
        }
    }

    @Test func headerSizeLimit() throws {
        // "Content-Disposition: form-data; name=\"p0\"\r\n" is 43 bytes, the blank line 2 more.
        let headerSize = 45
        try parse(body(parts: 1, content: "x"), .init(maxPartHeaderSize: headerSize))
        for split in [0, 10, 30, 50] {
            #expect(throws: FormDataError.partHeadersTooLarge(limit: headerSize - 1)) {
                try parse(body(parts: 1, content: "x"), .init(maxPartHeaderSize: headerSize - 1),
                          split: split)
            }
        }
    }

    @Test func endlessHeadersStopAtTheLimit() throws {
        var parser = try MultipartParser(boundary: "B", limits: .init(maxPartHeaderSize: 1024))
        var recording = MultipartRecording()
        try parser.feed(Array("--B\r\n".utf8), to: &recording)
        let line = Array("X-Filler: 0123456789\r\n".utf8)
        #expect(throws: FormDataError.partHeadersTooLarge(limit: 1024)) {
            for _ in 0..<100 { try parser.feed(line, to: &recording) }
        }
    }

    @Test func endlessPaddingStopsAtTheHeaderLimit() throws {
        var parser = try MultipartParser(boundary: "B", limits: .init(maxPartHeaderSize: 64))
        var recording = MultipartRecording()
        let padded = Array(("--B" + String(repeating: " ", count: 65)).utf8)
        #expect(throws: FormDataError.partHeadersTooLarge(limit: 64)) {
            try parser.feed(padded, to: &recording)
        }
    }

    @Test func collectorFieldLimit() throws {
        var parser = try MultipartParser(boundary: "B")
        var form = MultipartFormCollector(maxFieldSize: 4) { _ in }
        #expect(throws: FormDataError.fieldTooLarge(name: "p0", limit: 4)) {
            try parser.feed(body(parts: 1, content: "12345"), to: &form)
        }
    }

    @Test func limitErrorsAnswer413AndMalformedInput400() {
        #expect(FormDataError.tooManyParts(limit: 1).status == .contentTooLarge)
        #expect(FormDataError.partTooLarge(name: "file", limit: 1).status == .contentTooLarge)
        #expect(FormDataError.partHeadersTooLarge(limit: 1).status == .contentTooLarge)
        #expect(FormDataError.fieldTooLarge(name: "vid", limit: 1).status == .contentTooLarge)
        #expect(FormDataError.tooManyPairs(limit: 1).status == .contentTooLarge)
        #expect(FormDataError.truncatedBody.status == .badRequest)
        #expect(FormDataError.malformedPercentEscape(offset: 3).status == .badRequest)
        #expect(FormDataError.notMultipart(contentType: "text/plain").status == .unsupportedMediaType)
        #expect(FormDataError.partTooLarge(name: "file", limit: 10).description
            == "multipart part \"file\" larger than 10 bytes")
    }
}
