import BFSTestSupport
import Testing
@testable import BFSStorage

/// A volume laid out byte by byte as Go bfs writes it (reference §1.2–1.6, Appendix A) must open
/// and serve: needles written, some flagged deleted in place, and an index that stops short of
/// the block because bfs flushes it lazily.
@Suite struct GoVolumeCompatibilityTests {
    /// A needle exactly as Go bfs serialises it, written out field by field (not via NeedleFormat).
    static func goNeedle(key: Int64, cookie: Int32, data: [UInt8], deleted: Bool) -> [UInt8] {
        func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
        func be64(_ v: UInt64) -> [UInt8] { be32(UInt32(v >> 32)) + be32(UInt32(v & 0xFFFF_FFFF)) }
        var out: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        out += be32(UInt32(bitPattern: cookie)) + be64(UInt64(bitPattern: key))
        out.append(deleted ? 1 : 0)
        out += be32(UInt32(data.count)) + data
        out += [0x87, 0x65, 0x43, 0x21] + be32(CRC32Koopman.checksum(data))
        while out.count % 8 != 0 { out.append(0) }
        return out
    }

    static func goIndexRecord(key: Int64, offsetUnits: UInt32, totalSize: Int32) -> [UInt8] {
        var out: [UInt8] = []
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((UInt64(bitPattern: key) >> UInt64(shift)) & 0xFF)) }
        for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8((offsetUnits >> UInt32(shift)) & 0xFF)) }
        for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8((UInt32(bitPattern: totalSize) >> UInt32(shift)) & 0xFF)) }
        return out
    }

    @Test func goWrittenVolumeOpensAndServes() throws {
        let dir = TempDir("go-compat")
        defer { dir.remove() }
        let abc = Array("abc".utf8)
        let big = payload(3, 0, size: 1000)
        let n1 = Self.goNeedle(key: 1, cookie: 2, data: abc, deleted: false)              // live, indexed
        let n2 = Self.goNeedle(key: 2, cookie: 5, data: payload(2, 0, size: 100), deleted: true)  // deleted, indexed
        let n3 = Self.goNeedle(key: 3, cookie: 6, data: big, deleted: false)              // live, not indexed
        let n4a = Self.goNeedle(key: 4, cookie: 7, data: [1, 2], deleted: true)           // overwritten, flagged
        let n4b = Self.goNeedle(key: 4, cookie: 8, data: [3, 4, 5], deleted: false)       // the overwrite
        let n5 = Self.goNeedle(key: 5, cookie: 9, data: [], deleted: true)                // deleted in the tail
        #expect(n1 == [0x12, 0x34, 0x56, 0x78, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 3, 0x61, 0x62, 0x63,
                       0x87, 0x65, 0x43, 0x21, 0xBA, 0x23, 0x22, 0xAC])
        var block: [UInt8] = [0xAB, 0xCD, 0xEF, 0x00, 0x01, 0x00, 0x00, 0x00]
        var offsets: [UInt32] = []
        for n in [n1, n2, n3, n4a, n4b, n5] {
            offsets.append(UInt32(block.count / 8))
            block += n
        }
        let index = Self.goIndexRecord(key: 1, offsetUnits: offsets[0], totalSize: Int32(n1.count))
            + Self.goIndexRecord(key: 2, offsetUnits: offsets[1], totalSize: Int32(n2.count))
        try writeFile(dir.file("7_0"), block)
        try writeFile(dir.file("7_0.idx"), index)

        let v = try Volume(id: 7, blockPath: dir.file("7_0"), indexPath: dir.file("7_0.idx"), fileSystem: PosixFileSystem())
        #expect(v.recoveryReport.indexRecords == 2)
        #expect(v.recoveryReport.tailNeedles == 4)
        #expect(v.recoveryReport.damagedCount == 0)
        #expect(v.recoveryReport.blockBytesTruncated == 0)
        #expect(try v.read(key: 1, cookie: 2) == abc)
        #expect(v.readOutcome(key: 2, cookie: 5) == .failure(.needleDeleted))
        #expect(try v.read(key: 3, cookie: 6) == big)
        let extent = try v.locate(key: 3, cookie: 6)
        #expect(extent.dataOffset == Int64(offsets[2]) * 8 + 21)
        #expect(try v.read(key: 4, cookie: 8) == [3, 4, 5])
        #expect(v.readOutcome(key: 5, cookie: 9) == .failure(.needleDeleted))
        try v.appendAndWait(key: 6, cookie: 1, data: [6])
        v.close()
        // The block is untouched except for the new needle; the index gained the tail's records
        // in the same 16-byte format.
        let after = fileBytes(dir.file("7_0"))
        #expect(Array(after[0..<block.count]) == block)
        #expect(Array(after[block.count...]) == Self.goNeedle(key: 6, cookie: 1, data: [6], deleted: false))
        let idx = fileBytes(dir.file("7_0.idx"))
        #expect(Array(idx[0..<32]) == index)
        #expect(Array(idx[32..<48]) == Self.goIndexRecord(key: 3, offsetUnits: offsets[2], totalSize: Int32(n3.count)))
        #expect(idx.count == 16 * 7)
    }
}
