import Testing
@testable import BFSLoop

@Suite struct HeapRetentionTests {
    #if os(Linux)
    /// glibc takes the threshold (mallopt answers 1); a refusal would leave trimming as it was.
    @Test func glibcTakesTheTrimThreshold() {
        #expect(HeapRetention.keepFreedMemory())
    }
    #endif
}
