import BFSTestSupport
import Glibc
import Testing
@testable import BFSStorage

/// `Volume.probe`/`randomLiveKey`, `Volume.snapshot` and `StoreVolumes.bulkVolume`.
@Suite struct VolumeProbeExportTests {
    @Test func probeVerifiesARandomLiveNeedle() throws {
        let dir = TempDir("probe")
        defer { dir.remove() }
        let fs = PosixFileSystem()
        let v = try makeVolume(dir, fs: fs)
        defer { v.close() }
        #expect(try v.probe() == nil)
        try v.appendAndWait(key: 10, cookie: 1, data: payload(10, 0, size: 300))
        try v.appendAndWait(key: 20, cookie: 2, data: payload(20, 0, size: 300))
        let key = try #require(try v.probe())
        #expect(key == 10 || key == 20)
        try v.deleteAndWait(key: 10)
        try v.deleteAndWait(key: 20)
        #expect(try v.probe() == nil)
        #expect(v.randomLiveKey() == nil)
    }

    @Test func probeFindsADamagedNeedle() throws {
        let dir = TempDir("probe-damage")
        defer { dir.remove() }
        let fs = PosixFileSystem()
        let v = try makeVolume(dir, fs: fs)
        defer { v.close() }
        let loc = try v.appendAndWait(key: 5, cookie: 1, data: payload(5, 0, size: 64))
        // Flip one data byte behind the volume's back.
        let fd = open(v.blockPath, O_RDWR)
        var byte: UInt8 = 0
        _ = pread(fd, &byte, 1, off_t(Int(loc.offsetUnits) * 8 + NeedleFormat.headerSize))
        byte ^= 0xFF
        #expect(pwrite(fd, &byte, 1, off_t(Int(loc.offsetUnits) * 8 + NeedleFormat.headerSize)) == 1)
        close(fd)
        #expect(throws: StorageError.self) { try v.probe() }
        do {
            _ = try v.probe()
        } catch {
            guard case .checksumMismatch = error else {
                Issue.record("expected a checksum mismatch, got \(error)")
                return
            }
        }
    }

    @Test func snapshotIsBoundedAndOutlivesCompaction() throws {
        let dir = TempDir("snapshot")
        defer { dir.remove() }
        let fs = PosixFileSystem()
        let v = try makeVolume(dir, fs: fs)
        defer { v.close() }
        for key in Int64(1)...5 { try v.appendAndWait(key: key, cookie: 1, data: payload(key, 0, size: 100)) }
        try v.deleteAndWait(key: 2)
        let snap = try v.snapshot()
        #expect(snap.blockSize == v.info.durableEnd)
        #expect(snap.indexSize % Int64(IndexRecord.size) == 0)
        let before = fileBytes(v.blockPath)
        try v.compact(toBlock: dir.file("1_1"), index: dir.file("1_1.idx"))
        try fs.remove(dir.file("1_0"))
        try v.appendAndWait(key: 9, cookie: 1, data: [1])
        var copy = [UInt8](repeating: 0, count: Int(snap.blockSize) + 100)
        let n = try copy.withUnsafeMutableBytes { b in try snap.read(index: false, into: b, at: 0) }
        #expect(n == Int(snap.blockSize))
        #expect(Array(copy[0..<n]) == Array(before[0..<n]))
        #expect(try copy.withUnsafeMutableBytes { b in try snap.read(index: false, into: b, at: snap.blockSize) } == 0)
    }

    @Test func bulkVolumeRegistersFilesAndSurvivesARestart() throws {
        let dir = TempDir("bulk")
        defer { dir.remove() }
        let fs = PosixFileSystem()
        let source = try makeVolume(dir, fs: fs, id: 4)
        try source.appendAndWait(key: 1, cookie: 2, data: [9, 9, 9])
        source.close()
        func load() throws -> StoreVolumes {
            try StoreVolumes(fileSystem: fs, volumeListPath: dir.file("volume.idx"), freeListPath: dir.file("free_volume.idx"))
        }
        var store = try load()
        let v = try store.bulkVolume(id: 4, blockPath: dir.file("4_0"), indexPath: dir.file("4_0.idx"))
        #expect(try v.read(key: 1, cookie: 2) == [9, 9, 9])
        #expect(throws: StorageError.volumeExists) { try store.bulkVolume(id: 4, blockPath: dir.file("4_0"), indexPath: dir.file("4_0.idx")) }
        #expect(store.listEntry(4) == VolumeListEntry(blockPath: dir.file("4_0"), indexPath: dir.file("4_0.idx"), id: 4))
        store.close()
        store = try load()
        defer { store.close() }
        #expect(try store.volume(4)?.read(key: 1, cookie: 2) == [9, 9, 9])
    }

    @Test func bulkVolumeReplacesAFailedVolume() throws {
        let dir = TempDir("bulk-failed")
        defer { dir.remove() }
        let fs = PosixFileSystem()
        try writeFile(dir.file("volume.idx"), Array("\(dir.file("lost")),\(dir.file("lost.idx")),4\n".utf8))
        let store = try StoreVolumes(fileSystem: fs, volumeListPath: dir.file("volume.idx"), freeListPath: dir.file("free_volume.idx"))
        defer { store.close() }
        #expect(store.failedVolumes[4] != nil)
        try VolumeFiles.create(blockPath: dir.file("4_0"), indexPath: dir.file("4_0.idx"), fileSystem: fs, preallocation: 0)
        try store.bulkVolume(id: 4, blockPath: dir.file("4_0"), indexPath: dir.file("4_0.idx"))
        #expect(store.failedVolumes[4] == nil)
        #expect(store.volumeIDs == [4])
        #expect(String(decoding: fileBytes(dir.file("volume.idx")), as: UTF8.self) == "\(dir.file("4_0")),\(dir.file("4_0.idx")),4\n")
    }
}
