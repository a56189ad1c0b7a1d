import BFSTestSupport
import Glibc
import Testing
@testable import BFSStorage

/// Recovery judges needles by the format's own bounds, never by the upload limit, and keeps a
/// needle that was written whole but fails its checksum (DESIGN.md §4.3).
@Suite struct RecoveryBoundsTests {
    /// Settings whose upload limit is below the needles written under the defaults.
    static var smallLimit: VolumeSettings {
        var s = VolumeSettings()
        s.needleMaxSize = 1024
        return s
    }

    @Test func indexedNeedlesAboveALoweredLimitSurvive() throws {
        let dir = TempDir("bounds-index")
        defer { dir.remove() }
        let fs = PosixFileSystem()
        let v = try makeVolume(dir, fs: fs)
        for k in 1...3 { try v.appendAndWait(key: Int64(k), cookie: 1, data: payload(Int64(k), 0, size: 4000)) }
        v.close()
        let sizes = (fileBytes(dir.file("1_0")).count, fileBytes(dir.file("1_0.idx")).count)

        let lowered = try reopen(dir, fs: fs, settings: Self.smallLimit)
        let report = lowered.recoveryReport
        lowered.close()
        #expect(report.indexRecords == 3)
        #expect(report.indexBytesTruncated == 0)
        #expect(report.blockBytesTruncated == 0)
        #expect(fileBytes(dir.file("1_0")).count == sizes.0)
        #expect(fileBytes(dir.file("1_0.idx")).count == sizes.1)

        let restored = try reopen(dir, fs: fs)
        defer { restored.close() }
        for k in 1...3 { #expect(try restored.read(key: Int64(k), cookie: 1) == payload(Int64(k), 0, size: 4000)) }
    }

    @Test func tailNeedlesAboveALoweredLimitSurvive() throws {
        let dir = TempDir("bounds-tail")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        var settings = VolumeSettings()
        settings.indexBatchRecords = 1 << 20
        let v = try makeVolume(dir, fs: fs, settings: settings)
        for k in 1...3 { try v.appendAndWait(key: Int64(k), cookie: 1, data: payload(Int64(k), 0, size: 4000)) }
        fs.crash()  // the index hints never reached the disk: all three are in the tail
        v.close()

        let lowered = try reopen(dir, fs: fs, settings: Self.smallLimit)
        let report = lowered.recoveryReport
        lowered.close()
        #expect(report.tailNeedles == 3)
        #expect(report.damagedOffsets.isEmpty)
        #expect(report.blockBytesTruncated == 0)

        let restored = try reopen(dir, fs: fs)
        defer { restored.close() }
        #expect(restored.recoveryReport.indexRecords == 3)
        for k in 1...3 { #expect(try restored.read(key: Int64(k), cookie: 1) == payload(Int64(k), 0, size: 4000)) }
    }

    /// A needle larger than the reader's window is verified in pieces, damage included.
    @Test func needleLargerThanTheReadWindowIsVerified() throws {
        let dir = TempDir("bounds-window")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        var settings = VolumeSettings()
        settings.indexBatchRecords = 1 << 20
        let size = BlockReader.windowSize + 100_000
        let v = try makeVolume(dir, fs: fs, settings: settings)
        let big = try v.appendAndWait(key: 1, cookie: 1, data: payload(1, 0, size: size))
        try v.appendAndWait(key: 2, cookie: 1, data: payload(2, 0, size: 100))
        try v.appendAndWait(key: 3, cookie: 1, data: payload(3, 0, size: 100))
        fs.crash()
        v.close()

        let whole = try reopen(dir, fs: fs, settings: settings)
        #expect(whole.recoveryReport.tailNeedles == 3)
        #expect(whole.recoveryReport.damagedOffsets.isEmpty)
        #expect(try whole.read(key: 1, cookie: 1) == payload(1, 0, size: size))
        whole.close()

        // Rot deep inside the big needle's data, past the first window.
        try fs.flipBit(dir.file("1_0"), at: Int64(big.offsetUnits) * 8 + Int64(size) - 10)
        try writeFile(dir.file("1_0.idx"), [])
        let damaged = try reopen(dir, fs: fs, settings: settings)
        defer { damaged.close() }
        #expect(damaged.recoveryReport.damagedOffsets == [Int64(big.offsetUnits) * 8])
        #expect(damaged.recoveryReport.blockBytesTruncated == 0)
        #expect(damaged.readOutcome(key: 1, cookie: 1) == .failure(.needleNotFound))
        #expect(try damaged.read(key: 3, cookie: 1) == payload(3, 0, size: 100))
    }

    /// Header and footer intact, data rotten: damage to report, not a torn tail to cut off.
    @Test func checksumFailureOfTheLastNeedleIsReportedNotTruncated() throws {
        let dir = TempDir("bounds-crc-last")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        let v = try makeVolume(dir, fs: fs)
        try v.appendAndWait(key: 1, cookie: 1, data: payload(1, 0, size: 64))
        let last = try v.appendAndWait(key: 2, cookie: 1, data: payload(2, 0, size: 64))
        fs.crash()
        v.close()
        let blockSize = fileBytes(dir.file("1_0")).count
        try fs.flipBit(dir.file("1_0"), at: Int64(last.offsetUnits) * 8 + 30)
        for _ in 0..<2 {
            let reopened = try reopen(dir, fs: fs)
            #expect(reopened.recoveryReport.damagedOffsets == [Int64(last.offsetUnits) * 8])
            #expect(reopened.recoveryReport.blockBytesTruncated == 0)
            #expect(try reopened.read(key: 1, cookie: 1) == payload(1, 0, size: 64))
            #expect(reopened.readOutcome(key: 2, cookie: 1) == .failure(.needleNotFound))
            reopened.close()
            #expect(fileBytes(dir.file("1_0")).count == blockSize)
        }
    }

    /// A size field rotted to point past the end looks like a torn append; the valid needles
    /// after it show it is damage, and they are kept.
    @Test func sizeFieldPointingPastTheEndIsDamageWhenValidNeedlesFollow() throws {
        let dir = TempDir("bounds-size")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        var settings = VolumeSettings()
        settings.indexBatchRecords = 1 << 20
        let v = try makeVolume(dir, fs: fs, settings: settings)
        let first = try v.appendAndWait(key: 1, cookie: 1, data: payload(1, 0, size: 64))
        try v.appendAndWait(key: 2, cookie: 1, data: payload(2, 0, size: 64))
        fs.crash()
        v.close()
        // Bit 16 of the size field: the needle now claims 64 KiB more than the block holds.
        try fs.flipBit(dir.file("1_0"), at: Int64(first.offsetUnits) * 8 + 17 + 1)
        let reopened = try reopen(dir, fs: fs, settings: settings)
        defer { reopened.close() }
        #expect(reopened.recoveryReport.damagedOffsets == [Int64(first.offsetUnits) * 8])
        #expect(reopened.recoveryReport.blockBytesTruncated == 0)
        #expect(try reopened.read(key: 2, cookie: 1) == payload(2, 0, size: 64))
    }
}

/// The upload limit applies to uploads only: needles written under a larger limit stay readable
/// and survive compaction after it is lowered.
@Suite struct LoweredLimitTests {
    @Test func needlesAboveALoweredLimitAreReadAndCompacted() throws {
        let dir = TempDir("bounds-lowered")
        defer { dir.remove() }
        let fs = PosixFileSystem()
        var store = try StoreVolumes(fileSystem: fs, volumeListPath: dir.file("volume.idx"), freeListPath: dir.file("free_volume.idx"))
        try store.addFreeVolumes(count: 1, blockDirectory: dir.path, indexDirectory: dir.path)
        let v = try store.addVolume(1)
        for k in 1...4 { try v.appendAndWait(key: Int64(k), cookie: 1, data: payload(Int64(k), 0, size: 4000)) }
        try v.deleteAndWait(key: 2)
        store.close()

        var lowered = VolumeSettings()
        lowered.needleMaxSize = 1024
        store = try StoreVolumes(fileSystem: fs, volumeListPath: dir.file("volume.idx"), freeListPath: dir.file("free_volume.idx"),
                                 settings: lowered)
        defer { store.close() }
        let reopened = try #require(store.volume(1))
        #expect(try reopened.read(key: 1, cookie: 1) == payload(1, 0, size: 4000))
        #expect(throws: StorageError.needleTooLarge(size: 2000)) {
            try reopened.appendAndWait(key: 9, cookie: 1, data: payload(9, 0, size: 2000))
        }
        let result = try store.compactVolume(1)
        #expect(result.damagedSkipped == 0)
        #expect(result.needlesCopied == 3)
        let compacted = try #require(store.volume(1))
        for k in [1, 3, 4] { #expect(try compacted.read(key: Int64(k), cookie: 1) == payload(Int64(k), 0, size: 4000)) }
    }
}
