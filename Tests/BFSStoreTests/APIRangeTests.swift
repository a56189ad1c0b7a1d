import Testing
@testable import BFSStore

@Suite struct APIRangeTests {
    @Test func singleRanges() {
        #expect(APIRange.parse(nil, length: 100) == .full)
        #expect(APIRange.parse("bytes=10-19", length: 100) == .partial(10..<20))
        #expect(APIRange.parse("bytes=90-", length: 100) == .partial(90..<100))
        #expect(APIRange.parse("bytes=90-500", length: 100) == .partial(90..<100))
        #expect(APIRange.parse("bytes=-30", length: 100) == .partial(70..<100))
        #expect(APIRange.parse("bytes=-500", length: 100) == .partial(0..<100))
        #expect(APIRange.parse("bytes=0-0", length: 1) == .partial(0..<1))
        #expect(APIRange.parse("Bytes= 5-5 ", length: 10) == .partial(5..<6))
    }

    @Test func unsatisfiable() {
        #expect(APIRange.parse("bytes=100-", length: 100) == .unsatisfiable)
        #expect(APIRange.parse("bytes=100-200", length: 100) == .unsatisfiable)
        #expect(APIRange.parse("bytes=-0", length: 100) == .unsatisfiable)
        #expect(APIRange.parse("bytes=0-", length: 0) == .unsatisfiable)
        #expect(APIRange.parse("bytes=99999999999999999999999-", length: 100) == .unsatisfiable)
    }

    @Test func ignoredHeaders() {
        #expect(APIRange.parse("bytes=0-1,5-9", length: 100) == .full)
        #expect(APIRange.parse("bytes=20-10", length: 100) == .full)
        #expect(APIRange.parse("items=0-1", length: 100) == .full)
        #expect(APIRange.parse("bytes=abc", length: 100) == .full)
        #expect(APIRange.parse("bytes=1-x", length: 100) == .full)
        #expect(APIRange.parse("bytes=-", length: 100) == .full)
    }
}
