import Testing
@testable import BFSHTTP

/// Randomized robustness: damaged bodies must never trap, and the outcome (parts or the error)
/// must not depend on how the body was cut into reads.
@Suite struct MultipartFuzzTests {
    /// The parts or the error one parse ended with.
    enum Outcome: Equatable {
        case parts([MultipartRecording.Part])
        case failed(FormDataError)
    }

    static func outcome(_ chunks: [ArraySlice<UInt8>], boundary: String,
                        limits: MultipartParser.Limits) -> Outcome
    {
        do {
            let recording = try MultipartFixture.parse(chunks, boundary: boundary, limits: limits)
            return .parts(recording.parts)
        } catch let error as FormDataError {
            return .failed(error)
        } catch {
            return .failed(.parserClosed)
        }
    }

    /// A valid body from the writer: a few fields and files with random bytes.
    static func makeBody(_ random: inout FormTestRandom) -> (body: [UInt8], boundary: String) {
        var writer = MultipartWriter()
        for index in 0..<Int.random(in: 0...4, using: &random) {
            let data = (0..<Int.random(in: 0...300, using: &random)).map { _ in
                UInt8.random(in: 0...255, using: &random)
            }
            if Bool.random(using: &random) {
                writer.addField(name: "f\(index)", value: String(decoding: data.map { $0 % 64 + 48 }, as: UTF8.self))
            } else {
                writer.addFile(name: "file", filename: "\(index).bin", data: data)
            }
        }
        return (writer.makeBody(), writer.boundary)
    }

    /// One random damage: flip a byte, drop a range, duplicate a range, or cut the tail.
    static func mutate(_ body: inout [UInt8], _ random: inout FormTestRandom) {
        guard !body.isEmpty else { return }
        let at = Int.random(in: 0..<body.count, using: &random)
        switch Int.random(in: 0..<5, using: &random) {
        case 0:
            body[at] = UInt8.random(in: 0...255, using: &random)
        case 1:
            body[at] = [0x0D, 0x0A, 0x2D, 0x20][Int.random(in: 0..<4, using: &random)]
        case 2:
            body.removeSubrange(at..<min(body.count, at + Int.random(in: 1...20, using: &random)))
        case 3:
            let end = min(body.count, at + Int.random(in: 1...60, using: &random))
            body.insert(contentsOf: Array(body[at..<end]), at: Int.random(in: 0...body.count, using: &random))
        default:
            body.removeSubrange(at...)
        }
    }

    @Test func damagedBodiesParseTheSameWhateverTheChunking() {
        let seed = FormTestRandom.printedSeed("damagedBodiesParseTheSameWhateverTheChunking")
        var random = FormTestRandom(seed: seed)
        var failures = 0
        for round in 0..<1500 {
            var (body, boundary) = Self.makeBody(&random)
            for _ in 0..<Int.random(in: 0...3, using: &random) { Self.mutate(&body, &random) }
            // Small limits now and then, so limit errors are part of the mix.
            let limits = Bool.random(using: &random)
                ? MultipartParser.Limits()
                : MultipartParser.Limits(maxPartHeaderSize: Int.random(in: 40...200, using: &random),
                                         maxParts: Int.random(in: 1...4, using: &random),
                                         maxPartSize: Int.random(in: 0...300, using: &random))
            let whole = Self.outcome([body[...]], boundary: boundary, limits: limits)
            if case .failed = whole { failures += 1 }
            let cuts = (0..<Int.random(in: 1...12, using: &random)).map { _ in
                Int.random(in: 0...body.count, using: &random)
            }.sorted()
            let cut = Self.outcome(cutBody(body, at: cuts), boundary: boundary, limits: limits)
            #expect(cut == whole, "seed \(seed) round \(round) cuts \(cuts)")
            let bytewise = Self.outcome(cutBody(body, at: body.isEmpty ? [] : Array(1..<body.count)),
                                        boundary: boundary, limits: limits)
            #expect(bytewise == whole, "seed \(seed) round \(round) byte by byte")
        }
        // The mix must exercise both outcomes, or the test proves little.
        print("damaged bodies: \(failures) of 1500 failed")
        #expect(failures > 100 && failures < 1400, "seed \(seed): \(failures) failures")
    }

    @Test func randomTokenSoupNeverTraps() {
        let seed = FormTestRandom.printedSeed("randomTokenSoupNeverTraps")
        var random = FormTestRandom(seed: seed)
        let tokens = ["--B", "\r\n", "\r", "\n", "-", " ", "x",
                      "Content-Disposition: form-data; name=\"a\"", "--B--"].map { Array($0.utf8) }
        var completed = 0
        var failed = 0
        for _ in 0..<5000 {
            var body: [UInt8] = []
            for _ in 0..<Int.random(in: 0...14, using: &random) {
                body += tokens.randomElement(using: &random)!
            }
            switch Self.outcome([body[...]], boundary: "B", limits: .init()) {
            case .parts: completed += 1
            case .failed: failed += 1
            }
        }
        // Both outcomes occur, so the soup reaches past the first delimiter.
        #expect(completed > 0, "seed \(seed)")
        #expect(failed > 0, "seed \(seed)")
    }

    @Test func randomQueriesDecodeOrNameTheBadEscape() {
        let seed = FormTestRandom.printedSeed("randomQueriesDecodeOrNameTheBadEscape")
        var random = FormTestRandom(seed: seed)
        let alphabet = Array("a=&%+2F0gz".utf8)
        for _ in 0..<3000 {
            let query = String(decoding: (0..<Int.random(in: 0...30, using: &random)).map { _ in
                alphabet.randomElement(using: &random)!
            }, as: UTF8.self)
            do {
                let fields = try QueryString.parse(query)
                #expect(fields.count <= query.split(separator: "&").count, "seed \(seed): \(query)")
            } catch {
                guard case .malformedPercentEscape(let offset) = error else {
                    Issue.record("seed \(seed): \(query) threw \(error)")
                    continue
                }
                let bytes = Array(query.utf8)
                #expect(bytes[offset] == UInt8(ascii: "%"), "seed \(seed): \(query)")
            }
        }
    }
}
