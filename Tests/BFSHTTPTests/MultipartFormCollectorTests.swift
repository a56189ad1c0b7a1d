import Testing
@testable import BFSHTTP

/// Collects streamed file events; a class so the collector's escaping callback can fill it.
final class MultipartFileSink {
    var files: [(part: MultipartPart, data: [UInt8], ended: Bool)] = []

    func handle(_ event: MultipartFormCollector.FileEvent) {
        switch event {
        case .begin(let part): files.append((part, [], false))
        case .data(let bytes): files[files.count - 1].data.append(contentsOf: bytes)
        case .end: files[files.count - 1].ended = true
        }
    }
}

@Suite struct MultipartFormCollectorTests {
    @Test func fieldsAsStringsFilesStreamed() throws {
        let sink = MultipartFileSink()
        var parser = try MultipartParser(boundary: MultipartFixture.boundary)
        var form = MultipartFormCollector { sink.handle($0) }
        let body = MultipartFixture.body
        for chunk in cutBody(body, at: [100, 101, 350]) { try parser.feed(chunk, to: &form) }
        try parser.finish()
        #expect(form.isComplete)
        #expect(form.fields == ["vid": "1", "key": "42"])
        #expect(form.fileCount == 2)
        #expect(sink.files.map(\.part.filename) == ["a.txt", "b.bin"])
        #expect(sink.files.map(\.data) == [Array("hello\r\nworld\r\n".utf8), MultipartFixture.trickyBinary])
        #expect(sink.files.allSatisfy { $0.ended })
    }

    @Test func uploadsStyleRepeatedFields() throws {
        var writer = MultipartWriter()
        writer.addField(name: "vid", value: "3")
        for index in 0..<3 {
            writer.addField(name: "keys", value: "\(100 + index)")
            writer.addField(name: "cookies", value: "\(7 * index)")
            writer.addFile(name: "file", filename: "\(index).jpg", data: [UInt8(index)])
        }
        let sink = MultipartFileSink()
        var parser = try MultipartParser(contentType: writer.contentType)
        var form = MultipartFormCollector { sink.handle($0) }
        for chunk in writer.makeChunks() { try parser.feed(chunk, to: &form) }
        try parser.finish()
        #expect(form.fields.first("vid") == "3")
        #expect(form.fields.all("keys") == ["100", "101", "102"])
        #expect(form.fields.all("cookies") == ["0", "7", "14"])
        #expect(sink.files.map(\.data) == [[0], [1], [2]])
    }

    @Test func customFilePredicate() throws {
        var writer = MultipartWriter()
        writer.addField(name: "file", value: "sent as a plain field by an old client")
        writer.addField(name: "vid", value: "1")
        let sink = MultipartFileSink()
        var parser = try MultipartParser(contentType: writer.contentType)
        var form = MultipartFormCollector(isFile: { $0.name == "file" }) { sink.handle($0) }
        try parser.feed(writer.makeBody(), to: &form)
        try parser.finish()
        #expect(form.fields == ["vid": "1"])
        #expect(sink.files.map(\.data) == [Array("sent as a plain field by an old client".utf8)])
    }

    @Test func partWithoutNameIsRejected() throws {
        var parser = try MultipartParser(boundary: "B")
        var form = MultipartFormCollector { _ in }
        #expect(throws: FormDataError.missingPartName) {
            try parser.feed(Array("--B\r\nContent-Type: text/plain\r\n\r\nx\r\n--B--".utf8), to: &form)
        }
    }

    @Test func fileCallbackErrorsAbortTheParse() throws {
        struct VolumeFull: Error, Equatable {}
        var parser = try MultipartParser(boundary: MultipartFixture.boundary)
        var form = MultipartFormCollector { event in
            if case .data = event { throw VolumeFull() }
        }
        #expect(throws: VolumeFull()) { try parser.feed(MultipartFixture.body, to: &form) }
        #expect(form.fields == ["vid": "1", "key": "42"])
    }
}
