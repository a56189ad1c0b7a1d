import Testing
@testable import BFSHTTP

@Suite struct MultipartWriterTests {
    @Test func goldenBytes() throws {
        var writer = try MultipartWriter(boundary: "XyZ")
        writer.addField(name: "vid", value: "7")
        writer.addFile(name: "file", filename: "1.jpg", contentType: "image/jpeg", data: [0xFF, 0xD8])
        let expected = "--XyZ\r\nContent-Disposition: form-data; name=\"vid\"\r\n\r\n7\r\n"
            + "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"1.jpg\"\r\n"
            + "Content-Type: image/jpeg\r\n\r\n\u{FF}\u{D8}\r\n--XyZ--\r\n"
        // Build the expectation from bytes, since the file content is not UTF-8.
        var golden = Array(expected.utf8)
        golden.replaceSubrange(golden.firstRange(of: Array("\u{FF}\u{D8}".utf8))!, with: [0xFF, 0xD8])
        #expect(writer.makeBody() == golden)
        #expect(writer.contentLength == golden.count)
        #expect(writer.contentType == "multipart/form-data; boundary=XyZ")
        #expect(writer.count == 2)
    }

    @Test func fileOfChunksIsTheirConcatenationSharingStorage() throws {
        var writer = try MultipartWriter(boundary: "XyZ")
        let a: [UInt8] = Array("abc".utf8), b: [UInt8] = Array("defg".utf8)
        writer.addFile(name: "file", filename: "1.jpg", chunks: [a[...], [][...], b[...]])
        var single = try MultipartWriter(boundary: "XyZ")
        single.addFile(name: "file", filename: "1.jpg", data: a + b)
        #expect(writer.makeBody() == single.makeBody())
        #expect(writer.contentLength == single.contentLength)
        let base = a.withUnsafeBufferPointer { $0.baseAddress }
        #expect(writer.makeChunks().contains { $0.withUnsafeBufferPointer { $0.baseAddress } == base })
    }

    @Test func emptyWriterIsJustTheCloseDelimiter() throws {
        let writer = try MultipartWriter(boundary: "XyZ")
        #expect(writer.makeBody() == Array("--XyZ--\r\n".utf8))
        var parser = try MultipartParser(contentType: writer.contentType)
        var recording = MultipartRecording()
        try parser.feed(writer.makeBody(), to: &recording)
        try parser.finish()
        #expect(recording.parts.isEmpty)
        #expect(recording.bodyEnded)
    }

    @Test func fileDataIsSharedNotCopied() {
        var writer = MultipartWriter()
        let data = [UInt8](repeating: 0x5A, count: 1 << 16)
        writer.addFile(name: "file", filename: "big", data: data)
        let chunks = writer.makeChunks()
        let original = data.withUnsafeBufferPointer { $0.baseAddress }
        let inChunks = chunks.contains { chunk in
            chunk.withUnsafeBufferPointer { $0.baseAddress } == original
        }
        #expect(inChunks)
        #expect(chunks.reduce(0) { $0 + $1.count } == writer.contentLength)
    }

    @Test func randomBoundariesAreLegalAndDistinct() throws {
        let boundaries = (0..<50).map { _ in MultipartWriter().boundary }
        for boundary in boundaries { try MultipartBoundary.validate(boundary) }
        #expect(Set(boundaries).count == boundaries.count)
    }

    @Test func roundTripRandomForms() throws {
        let seed = FormTestRandom.printedSeed("roundTripRandomForms")
        var random = FormTestRandom(seed: seed)
        for round in 0..<40 {
            var writer = MultipartWriter()
            var expected: [(name: String, filename: String?, data: [UInt8])] = []
            for index in 0..<Int.random(in: 0...6, using: &random) {
                let size = Int.random(in: 0...3000, using: &random)
                var data = (0..<size).map { _ in UInt8.random(in: 0...255, using: &random) }
                if Bool.random(using: &random) {
                    // Plant a near-delimiter inside the content: the delimiter with its last
                    // byte changed (random bytes could otherwise complete the real one).
                    var decoy = Array("\r\n--\(writer.boundary)".utf8)
                    decoy[decoy.count - 1] ^= 0x01
                    data.insert(contentsOf: decoy, at: Int.random(in: 0...data.count, using: &random))
                }
                if Bool.random(using: &random) {
                    let value = String(decoding: data.map { 0x20 + $0 % 90 }, as: UTF8.self)
                    writer.addField(name: "f\(index)", value: value)
                    expected.append(("f\(index)", nil, Array(value.utf8)))
                } else {
                    writer.addFile(name: "file", filename: "n\(index).bin", data: data)
                    expected.append(("file", "n\(index).bin", data))
                }
            }
            // Feed the writer's own chunks, then the same body re-cut at random.
            var parser = try MultipartParser(contentType: writer.contentType)
            var recording = MultipartRecording()
            for chunk in writer.makeChunks() { try parser.feed(chunk, to: &recording) }
            try parser.finish()
            let body = writer.makeBody()
            let cuts = (0..<8).map { _ in Int.random(in: 0...body.count, using: &random) }.sorted()
            let recut = try MultipartFixture.parse(cutBody(body, at: cuts), boundary: writer.boundary)
            #expect(recut == recording, "seed \(seed) round \(round)")
            #expect(recording.bodyEnded)
            #expect(recording.parts.map(\.part.name) == expected.map(\.name), "seed \(seed)")
            #expect(recording.parts.map(\.part.filename) == expected.map(\.filename), "seed \(seed)")
            #expect(recording.parts.map(\.data) == expected.map(\.data), "seed \(seed) round \(round)")
        }
    }

    @Test func awkwardNamesSurviveTheRoundTrip() throws {
        var writer = MultipartWriter()
        writer.addFile(name: "a\"b\\c", filename: "C:\\dir\\\"q\".jpg", contentType: "image/x\r\nEvil: 1",
                       data: [1])
        writer.addFile(name: "nl", filename: "two\r\nlines", data: [2])
        var parser = try MultipartParser(contentType: writer.contentType)
        var recording = MultipartRecording()
        try parser.feed(writer.makeBody(), to: &recording)
        try parser.finish()
        #expect(recording.parts.map(\.part.name) == ["a\"b\\c", "nl"])
        #expect(recording.parts.map(\.part.filename) == ["C:\\dir\\\"q\".jpg", "two%0D%0Alines"])
        #expect(recording.parts.first?.part.contentType == "image/x  Evil: 1")
        #expect(recording.parts.first?.part.headers.count == 2)
    }
}
