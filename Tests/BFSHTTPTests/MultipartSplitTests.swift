import BFSTestSupport
import Testing
@testable import BFSHTTP

/// The shared seeded generator, under the name these tests use.
typealias FormTestRandom = SeededGenerator

/// Cuts `body` at the given sorted positions.
func cutBody(_ body: [UInt8], at cuts: [Int]) -> [ArraySlice<UInt8>] {
    var chunks: [ArraySlice<UInt8>] = []
    var start = 0
    for cut in cuts + [body.count] {
        chunks.append(body[start..<cut])
        start = cut
    }
    return chunks
}

@Suite struct MultipartSplitTests {
    @Test func twoChunksSplitAtEveryPosition() throws {
        let body = MultipartFixture.body
        let expected = MultipartFixture.expectedParts
        for cut in 0...body.count {
            let recording = try MultipartFixture.parse(cutBody(body, at: [cut]))
            #expect(recording.contractViolation == nil, "cut at \(cut)")
            #expect(recording.parts == expected, "cut at \(cut)")
            #expect(recording.bodyEnded, "cut at \(cut)")
        }
    }

    @Test func oneByteAtATime() throws {
        let body = MultipartFixture.body
        let recording = try MultipartFixture.parse(cutBody(body, at: Array(1..<body.count)))
        #expect(recording.contractViolation == nil)
        #expect(recording.parts == MultipartFixture.expectedParts)
        #expect(recording.bodyEnded)
    }

    @Test func threeChunksAroundEveryDelimiter() throws {
        // Every pair of cuts within a window around each delimiter: a delimiter split in three.
        let body = MultipartFixture.body
        let delimiter = Array("\r\n--\(MultipartFixture.boundary)".utf8)
        let starts = body.indices.filter { body[$0...].starts(with: delimiter) }
        #expect(starts.count == 5)
        for start in starts {
            let window = max(0, start - 2)...min(body.count, start + delimiter.count + 4)
            for first in window {
                for second in first...window.upperBound {
                    let recording = try MultipartFixture.parse(cutBody(body, at: [first, second]))
                    #expect(recording.parts == MultipartFixture.expectedParts,
                            "cuts at \(first), \(second)")
                }
            }
        }
    }

    @Test func randomChunkings() throws {
        let seed = FormTestRandom.printedSeed("randomChunkings")
        var random = FormTestRandom(seed: seed)
        let body = MultipartFixture.body
        for round in 0..<300 {
            let cutCount = Int.random(in: 0...40, using: &random)
            let cuts = (0..<cutCount).map { _ in Int.random(in: 0...body.count, using: &random) }
                .sorted()
            let recording = try MultipartFixture.parse(cutBody(body, at: cuts))
            #expect(recording.parts == MultipartFixture.expectedParts,
                    "seed \(seed) round \(round) cuts \(cuts)")
            #expect(recording.contractViolation == nil, "seed \(seed) round \(round)")
        }
    }

    @Test func emptyChunksAreHarmless() throws {
        let body = MultipartFixture.body
        var chunks: [ArraySlice<UInt8>] = []
        for piece in cutBody(body, at: [10, 200, 201]) { chunks += [piece, []] }
        let recording = try MultipartFixture.parse(chunks)
        #expect(recording.parts == MultipartFixture.expectedParts)
    }
}
