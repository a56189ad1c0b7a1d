import BFSCore
import BFSTestSupport
@testable import BFSDirectory
import Testing

@Suite struct CookieSourceTests {
    @Test func cookiesAreNonZeroAndVaried() {
        let source = CookieSource()
        let cookies = (0..<10_000).map { _ in source.next() }
        #expect(!cookies.contains(0))
        // 10,000 draws from 2^32 values: a repeat is unlikely (p ≈ 1.2%), many would mean no randomness.
        #expect(Set(cookies).count >= 9_990)
        #expect(cookies.contains { $0 < 0 } && cookies.contains { $0 > 0 })
    }

    @Test(arguments: [0, UInt64(UInt32.max), UInt64(UInt32.max) * 2, UInt64.max])
    func everyDrawMapsToANonZeroCookie(_ word: UInt64) {
        var constant = ConstantGenerator(word: word)
        #expect(CookieSource.cookie(using: &constant) != 0)
    }
}

/// A generator giving one word forever: the draws that would map to zero if folded naively.
struct ConstantGenerator: RandomNumberGenerator {
    var word: UInt64
    mutating func next() -> UInt64 { word }
}
