import Testing
@testable import BFSStorage

@Suite struct CRC32KoopmanTests {
    @Test func catalogueCheckValue() {
        #expect(CRC32Koopman.checksum(Array("123456789".utf8)) == 0x2D3D_D0AE)
    }

    @Test func emptyIsZero() {
        #expect(CRC32Koopman.checksum([UInt8]()) == 0)
    }

    @Test func designVectorAbc() {
        // DESIGN.md §4.1: the needle for data "abc" ends in the checksum ba2322ac.
        #expect(CRC32Koopman.checksum(Array("abc".utf8)) == 0xBA23_22AC)
    }

    @Test func incrementalEqualsOneShotAtEverySplit() {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        let data = (0..<1000).map { _ -> UInt8 in
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: seed >> 33)
        }
        let whole = CRC32Koopman.checksum(data)
        for split in stride(from: 0, through: data.count, by: 37) {
            var c = CRC32Koopman()
            c.update(data[..<split])
            c.update(data[split...])
            #expect(c.value == whole, "split at \(split)")
        }
    }
}
