import BFSTestSupport
import Synchronization
import Testing
@testable import BFSStorage

@Suite struct ScrubberAndToolsTests {
    /// Volume 1 with keys 1...6 of 300 bytes (cookie 1), key 2 deleted, key 3 overwritten.
    func populated(_ dir: TempDir) throws -> (Volume, [Int64: NeedleLocation]) {
        let v = try makeVolume(dir, fs: PosixFileSystem())
        var locs: [Int64: NeedleLocation] = [:]
        for k in Int64(1)...6 { locs[k] = try v.appendAndWait(key: k, cookie: 1, data: payload(k, 0, size: 300)) }
        try v.deleteAndWait(key: 2)
        try v.appendAndWait(key: 3, cookie: 1, data: payload(3, 1, size: 10))
        return (v, locs)
    }

    @Test func scrubberFindsBitRotInServedNeedles() throws {
        let dir = TempDir("scrub")
        defer { dir.remove() }
        let (v, locs) = try populated(dir)
        defer { v.close() }
        let clean = VolumeScrubber.scrub(v)
        #expect(clean.damagedOffsets.isEmpty)
        #expect(clean.needlesVerified == 7)
        #expect(clean.bytesScanned == v.info.durableEnd)
        // Rot inside key 4's data: locate/sendfile still succeeds (header fine), the scrubber must not.
        let at = Int64(locs[4]!.offsetUnits) * 8 + 100
        try FaultInjectingFileSystem().flipBit(dir.file("1_0"), at: at, bit: 3)
        #expect(throws: Never.self) { _ = try v.locate(key: 4, cookie: 1) }
        #expect(v.readOutcome(key: 4, cookie: 1).isFailure)
        let report = VolumeScrubber.scrub(v, bytesPerSecond: 1 << 30)
        #expect(report.damagedOffsets == [Int64(locs[4]!.offsetUnits) * 8])
        #expect(report.damagedLiveKeys == [4])
        #expect(report.needlesVerified == 6)
    }

    @Test func scrubberStopsWhenAsked() throws {
        let dir = TempDir("scrub-stop")
        defer { dir.remove() }
        let (v, _) = try populated(dir)
        defer { v.close() }
        let seen = Mutex(0)
        let report = VolumeScrubber.scrub(v) { seen.withLock { $0 += 1; return $0 >= 2 } }
        #expect(report.needlesVerified == 2)
    }

    @Test func inspectCheckDumpAndFixIndex() throws {
        let dir = TempDir("tools")
        defer { dir.remove() }
        let (v, locs) = try populated(dir)
        v.close()
        let block = dir.file("1_0"), index = dir.file("1_0.idx")
        var i = try VolumeTools.inspectVolume(blockPath: block, indexPath: index)
        #expect(i.version == 1)
        #expect(i.needles == 7)
        #expect(i.deletedNeedles == 2)  // key 2, and key 3's first needle flagged by the overwrite
        #expect(i.indexRecords == 7)
        #expect(i.isHealthy)
        #expect(try VolumeTools.checkVolume(blockPath: block, indexPath: index).isEmpty)
        var dumped: [Int64] = []
        try VolumeTools.dumpVolume(blockPath: block) { dumped.append($0.header.key); return true }
        #expect(dumped == [1, 2, 3, 4, 5, 6, 3])

        // Garbage index and a damaged needle: check reports both, fix-index rebuilds the index.
        try writeFile(index, fileBytes(index) + IndexRecord(key: 1, offsetUnits: 1, totalSize: 32).bytes)
        try FaultInjectingFileSystem().flipBit(block, at: Int64(locs[5]!.offsetUnits) * 8 + 1)
        let problems = try VolumeTools.checkVolume(blockPath: block, indexPath: index)
        #expect(problems.count == 3)
        #expect(try VolumeTools.fixIndex(blockPath: block, indexPath: index) == 4)
        i = try VolumeTools.inspectVolume(blockPath: block, indexPath: index)
        #expect(i.indexRecords == 4)
        #expect(i.mismatchedIndexRecords == 0)
        #expect(i.damagedOffsets == [Int64(locs[5]!.offsetUnits) * 8])
    }
}

extension Result {
    var isFailure: Bool { if case .failure = self { true } else { false } }
}
