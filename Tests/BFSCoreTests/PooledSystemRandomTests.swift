import Testing
@testable import BFSCore

@Suite struct PooledSystemRandomTests {
    /// Across several refills every word is fresh: 64-bit words from a CSPRNG repeat with
    /// probability about 2^-44 in this many draws, so a repeat means a refill reused words.
    @Test func wordsAcrossRefillsAreDistinct() {
        var generator = PooledSystemRandom()
        let count = RandomPool.refillWords * 8 + 3
        let words = (0..<count).map { _ in generator.next() }
        #expect(Set(words).count == count)
    }

    @Test func aFreshRefillIsNotZeroed() {
        #expect(RandomPool.fresh().contains { $0 != 0 })
        #expect(RandomPool.fresh().count == RandomPool.refillWords)
    }
}
