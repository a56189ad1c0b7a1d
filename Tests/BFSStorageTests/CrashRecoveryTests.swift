import BFSTestSupport
import Glibc
import Testing
@testable import BFSStorage

/// One test per crash window (DESIGN.md §4.2–4.3). Each simulates power loss through the
/// fault-injecting file seam, then opens the volume twice: recovery must give the same reads and
/// leave the same files the second time.
@Suite struct CrashRecoveryTests {
    /// Opens, checks, closes, and does it again; both runs must leave identical files.
    func recoverTwice(_ dir: TempDir, _ fs: FileSystem, check: (Volume) throws -> Void) throws -> RecoveryReport {
        let first = try reopen(dir, fs: fs)
        let report = first.recoveryReport
        try check(first)
        first.close()
        let files = (fileBytes(dir.file("1_0")), fileBytes(dir.file("1_0.idx")))
        let second = try reopen(dir, fs: fs)
        try check(second)
        #expect(second.recoveryReport.blockBytesTruncated == 0)
        #expect(second.recoveryReport.indexBytesTruncated == 0)
        second.close()
        #expect(fileBytes(dir.file("1_0")) == files.0)
        #expect(fileBytes(dir.file("1_0.idx")) == files.1)
        return report
    }

    @Test func crashAfterAppendBeforeSync() throws {
        let dir = TempDir("crash-append")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        let v = try makeVolume(dir, fs: fs)
        try v.appendAndWait(key: 1, cookie: 1, data: payload(1, 0, size: 500))
        // Window: the needle is in the page cache, its fdatasync never completes.
        fs.failNext(.sync, errno: EIO)
        #expect(throws: StorageError.self) { try v.appendAndWait(key: 2, cookie: 1, data: payload(2, 0, size: 500)) }
        #expect(fs.hasUnsyncedWrites(dir.file("1_0")))
        fs.crash()
        v.close()
        let report = try recoverTwice(dir, fs) { (v: Volume) throws in
            #expect(try v.read(key: 1, cookie: 1) == payload(1, 0, size: 500))
            #expect(v.readOutcome(key: 2, cookie: 1) == .failure(.needleNotFound))
        }
        #expect(report.damagedCount == 0)
    }

    @Test func crashAfterSyncBeforeIndex() throws {
        let dir = TempDir("crash-index")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        var settings = VolumeSettings()
        settings.indexBatchRecords = 1
        let v = try makeVolume(dir, fs: fs, settings: settings)
        for k in 1...5 { try v.appendAndWait(key: Int64(k), cookie: 2, data: payload(Int64(k), 0, size: 77)) }
        // Window: the needles are durable, their index records were never synced.
        fs.crash()
        v.close()
        #expect(fileBytes(dir.file("1_0.idx")).isEmpty)
        let report = try recoverTwice(dir, fs) { (v: Volume) throws in
            for k in 1...5 { #expect(try v.read(key: Int64(k), cookie: 2) == payload(Int64(k), 0, size: 77)) }
        }
        #expect(report.tailNeedles == 5)
        #expect(fileBytes(dir.file("1_0.idx")).count == 5 * IndexRecord.size)
    }

    @Test func tornFooter() throws {
        let dir = TempDir("crash-torn")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        let v = try makeVolume(dir, fs: fs)
        try v.appendAndWait(key: 1, cookie: 1, data: payload(1, 0, size: 100))
        let end = Int64(fileBytes(dir.file("1_0")).count)
        fs.failNext(.sync, errno: EIO)
        #expect(throws: StorageError.self) { try v.appendAndWait(key: 2, cookie: 1, data: payload(2, 0, size: 100)) }
        // Window: power fails while the needle's footer is being written.
        let total = NeedleFormat.totalSize(dataSize: 100)
        fs.crash(tearing: (dir.file("1_0"), total - 6))
        v.close()
        #expect(Int64(fileBytes(dir.file("1_0")).count) == end + Int64(total - 6))
        let report = try recoverTwice(dir, fs) { (v: Volume) throws in
            #expect(try v.read(key: 1, cookie: 1) == payload(1, 0, size: 100))
            #expect(v.readOutcome(key: 2, cookie: 1) == .failure(.needleNotFound))
        }
        #expect(report.blockBytesTruncated == Int64(total - 6))
        #expect(Int64(fileBytes(dir.file("1_0")).count) == end)
    }

    @Test func indexPointingPastTheEnd() throws {
        let dir = TempDir("crash-index-past")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        let v = try makeVolume(dir, fs: fs)
        for k in 1...3 { try v.appendAndWait(key: Int64(k), cookie: 1, data: payload(Int64(k), 0, size: 40)) }
        v.close()
        // Window: the index hint outlived block bytes (e.g. a block restored from an older copy).
        let blockSize = fileBytes(dir.file("1_0")).count
        let bogus = IndexRecord(key: 9, offsetUnits: UInt32(blockSize / 8), totalSize: 64).bytes
        try writeFile(dir.file("1_0.idx"), fileBytes(dir.file("1_0.idx")) + bogus + [1, 2, 3])
        let report = try recoverTwice(dir, fs) { (v: Volume) throws in
            for k in 1...3 { #expect(try v.read(key: Int64(k), cookie: 1) == payload(Int64(k), 0, size: 40)) }
            #expect(v.readOutcome(key: 9, cookie: 1) == .failure(.needleNotFound))
        }
        #expect(report.indexRecords == 3)
        #expect(report.indexBytesTruncated == 19)
        #expect(fileBytes(dir.file("1_0.idx")).count == 3 * 16)
    }

    @Test func deleteFlagWrittenButNotSynced() throws {
        let dir = TempDir("crash-delete")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        let v = try makeVolume(dir, fs: fs)
        try v.appendAndWait(key: 1, cookie: 1, data: [1])
        try v.appendAndWait(key: 2, cookie: 1, data: [2])
        try v.deleteAndWait(key: 2)
        // Window: the flag byte of key 1 is written, its fdatasync fails: not acknowledged.
        fs.failNext(.sync, errno: EIO)
        #expect(throws: StorageError.self) { try v.deleteAndWait(key: 1) }
        fs.crash()
        v.close()
        _ = try recoverTwice(dir, fs) { (v: Volume) throws in
            #expect(try v.read(key: 1, cookie: 1) == [1])
            #expect(v.readOutcome(key: 2, cookie: 1) == .failure(.needleDeleted))
        }
    }

    @Test func corruptNeedleInTheTailIsSkippedAndReported() throws {
        let dir = TempDir("crash-corrupt")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        var settings = VolumeSettings()
        settings.indexBatchRecords = 1 << 20
        let v = try makeVolume(dir, fs: fs, settings: settings)
        var locs: [NeedleLocation] = []
        for k in 1...4 { locs.append(try v.appendAndWait(key: Int64(k), cookie: 1, data: payload(Int64(k), 0, size: 200))) }
        fs.crash()  // drops the unsynced index: everything is in the tail
        v.close()
        // Bit rot in needle 2's data (CRC) and needle 3's header magic.
        try fs.flipBit(dir.file("1_0"), at: Int64(locs[1].offsetUnits) * 8 + 50)
        try fs.flipBit(dir.file("1_0"), at: Int64(locs[2].offsetUnits) * 8 + 1)
        let report = try recoverTwice(dir, fs) { (v: Volume) throws in
            #expect(try v.read(key: 1, cookie: 1) == payload(1, 0, size: 200))
            #expect(v.readOutcome(key: 2, cookie: 1) == .failure(.needleNotFound))
            #expect(v.readOutcome(key: 3, cookie: 1) == .failure(.needleNotFound))
            #expect(try v.read(key: 4, cookie: 1) == payload(4, 0, size: 200))
        }
        // Needle 2 keeps its frame (reported on its own), needle 3's header is gone.
        #expect(report.damagedOffsets == [Int64(locs[1].offsetUnits) * 8, Int64(locs[2].offsetUnits) * 8])
        #expect(report.blockBytesTruncated == 0)
    }

    /// A last needle without a readable header and nothing valid after it is a torn append.
    @Test func corruptLastNeedleHeaderIsTruncated() throws {
        let dir = TempDir("crash-corrupt-last")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        let v = try makeVolume(dir, fs: fs)
        try v.appendAndWait(key: 1, cookie: 1, data: payload(1, 0, size: 64))
        let last = try v.appendAndWait(key: 2, cookie: 1, data: payload(2, 0, size: 64))
        fs.crash()
        v.close()
        try fs.flipBit(dir.file("1_0"), at: Int64(last.offsetUnits) * 8 + 1)
        let report = try recoverTwice(dir, fs) { (v: Volume) throws in
            #expect(try v.read(key: 1, cookie: 1) == payload(1, 0, size: 64))
            #expect(v.readOutcome(key: 2, cookie: 1) == .failure(.needleNotFound))
        }
        #expect(report.blockBytesTruncated == Int64(last.totalSize))
    }
}
