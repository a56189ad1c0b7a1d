import Testing
@testable import BFSCore

@Suite struct RetTests {
    @Test func codesMatchTheReference() {
        // Spot checks against reference/bfs-v1.md §1.10: these numbers are on the wire.
        #expect(Ret.ok.rawValue == 1)
        #expect(Ret.needleNotExist.rawValue == 5001)
        #expect(Ret.needleDeleted.rawValue == 5010)
        #expect(Ret.volumeNotExist.rawValue == 8001)
        #expect(Ret.paramError.rawValue == 65534)
        #expect(Ret.internalError.rawValue == 65535)
    }

    @Test func codesAreUnique() {
        let codes = Ret.allCases.map(\.rawValue)
        #expect(Set(codes).count == codes.count)
    }
}
