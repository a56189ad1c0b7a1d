import Testing
@testable import BFSHTTP

/// Golden bytes of the multipart format: the writer produces them and the parser reads them.
@Suite struct MultipartFormatTests {
    /// Two parts with boundary `XyZ`: a field whose name needs escaping and a binary file.
    static let golden: [UInt8] = Array((
        "--XyZ\r\n"
        + "Content-Disposition: form-data; name=\"a\\\"b\"\r\n"
        + "\r\n"
        + "v 1\r\n"
        + "--XyZ\r\n"
        + "Content-Disposition: form-data; name=\"file\"; filename=\"x%0D%0Ay.jpg\"\r\n"
        + "Content-Type: image/jpeg\r\n"
        + "\r\n"
        + "\u{1}\r\n-\r\n"
        + "--XyZ--\r\n").utf8)

    @Test func writerProducesTheGoldenBytes() throws {
        var writer = try MultipartWriter(boundary: "XyZ")
        writer.addField(name: "a\"b", value: "v 1")
        writer.addFile(name: "file", filename: "x\r\ny.jpg", contentType: "image/jpeg",
                       data: [0x01, 0x0D, 0x0A, 0x2D])
        #expect(writer.makeBody() == Self.golden)
    }

    @Test func parserReadsTheGoldenBytes() throws {
        var parser = try MultipartParser(boundary: "XyZ")
        var recording = MultipartRecording()
        try parser.feed(Self.golden, to: &recording)
        try parser.finish()
        #expect(recording.parts.map(\.part.name) == ["a\"b", "file"])
        #expect(recording.parts.map(\.part.filename) == [nil, "x%0D%0Ay.jpg"])
        #expect(recording.parts.map(\.part.contentType) == [nil, "image/jpeg"])
        #expect(recording.parts.map(\.data) == [Array("v 1".utf8), [0x01, 0x0D, 0x0A, 0x2D]])
        #expect(recording.bodyEnded)
    }

    @Test func delimiterPieces() {
        #expect(MultipartFormat.delimiter("B") == Array("\r\n--B".utf8))
        #expect(MultipartFormat.opening("B", isFirst: true) == "--B\r\n")
        #expect(MultipartFormat.opening("B", isFirst: false) == "\r\n--B\r\n")
        #expect(MultipartFormat.closing("B", hasParts: false) == "--B--\r\n")
        #expect(MultipartFormat.closing("B", hasParts: true) == "\r\n--B--\r\n")
    }
}
