import BFSTestSupport
import Testing
@testable import BFSStorage

/// Offsets are u32 counts of 8-byte units: needles past 4 GiB must be addressed correctly, and a
/// block must refuse the append that would start past unit `UInt32.max` (just under 32 GiB).
/// Both use sparse block files, located through an index record so recovery does not scan the hole.
@Suite struct LargeOffsetTests {
    func sparseVolume(_ dir: TempDir, needleAt units: UInt32, key: Int64, data: [UInt8]) throws -> Volume {
        let fs = PosixFileSystem()
        let block = try fs.open(dir.file("1_0"), create: true)
        try SuperBlockFormat.makeHeader().withUnsafeBytes { try block.write($0, at: 0) }
        let needle = NeedleFormat.encode(key: key, cookie: 3, data: data)
        try needle.withUnsafeBytes { try block.write($0, at: Int64(units) * 8) }
        block.close()
        try writeFile(dir.file("1_0.idx"), IndexRecord(key: key, offsetUnits: units, totalSize: UInt32(needle.count)).bytes)
        return try reopen(dir, fs: fs)
    }

    @Test func needlesBeyondFourGiB() throws {
        let dir = TempDir("large-offset")
        defer { dir.remove() }
        let units = UInt32((5 << 30) / 8)  // 5 GiB
        let v = try sparseVolume(dir, needleAt: units, key: 1, data: payload(1, 0, size: 100))
        defer { v.close() }
        #expect(try v.read(key: 1, cookie: 3) == payload(1, 0, size: 100))
        #expect(try v.locate(key: 1, cookie: 3).dataOffset == Int64(5) << 30 + 21)
        let loc = try v.appendAndWait(key: 2, cookie: 3, data: payload(2, 0, size: 10))
        #expect(loc.offsetUnits == units + UInt32(NeedleFormat.totalSize(dataSize: 100) / 8))
        #expect(try v.read(key: 2, cookie: 3) == payload(2, 0, size: 10))
        try v.deleteAndWait(key: 1)
        #expect(v.readOutcome(key: 1, cookie: 3) == .failure(.needleDeleted))
    }

    @Test func fullVolumeRefusesTheAppend() throws {
        let dir = TempDir("large-full")
        defer { dir.remove() }
        // The needle occupies the last 4 units: the next one would start at unit 2^32.
        let v = try sparseVolume(dir, needleAt: UInt32.max - 3, key: 1, data: [1, 2, 3])
        defer { v.close() }
        #expect(try v.read(key: 1, cookie: 3) == [1, 2, 3])
        #expect(throws: StorageError.volumeFull) { try v.appendAndWait(key: 2, cookie: 3, data: [4]) }
    }
}
