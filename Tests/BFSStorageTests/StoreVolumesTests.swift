import Glibc
import Testing
@testable import BFSStorage

@Suite struct StoreVolumesTests {
    func load(_ dir: TempDir, _ fs: FileSystem) throws -> StoreVolumes {
        try StoreVolumes(fileSystem: fs, volumeListPath: dir.file("volume.idx"), freeListPath: dir.file("free_volume.idx"))
    }

    @Test func freeVolumesBecomeActiveAndSurviveARestart() throws {
        let dir = TempDir("store-volumes")
        defer { dir.remove() }
        let fs = PosixFileSystem()
        var store = try load(dir, fs)
        #expect(try store.addFreeVolumes(count: 2, blockDirectory: dir.file("b"), indexDirectory: dir.file("i")) == 2)
        #expect(String(decoding: fileBytes(dir.file("free_volume.idx")), as: UTF8.self)
            == "\(dir.path)/b/_free_block_1,\(dir.path)/i/_free_block_1.idx,-1\n\(dir.path)/b/_free_block_2,\(dir.path)/i/_free_block_2.idx,-1\n")
        #expect(fileBytes(dir.file("b/_free_block_1")) == SuperBlockFormat.makeHeader())
        let v = try store.addVolume(3)
        #expect(v.blockPath == dir.file("b/3_0"))
        #expect(!fs.exists(dir.file("b/_free_block_1")))
        #expect(fs.exists(dir.file("i/3_0.idx")))
        #expect(throws: StorageError.volumeExists) { try store.addVolume(3) }
        try v.appendAndWait(key: 11, cookie: 12, data: [1, 2, 3])
        #expect(String(decoding: fileBytes(dir.file("volume.idx")), as: UTF8.self) == "\(dir.path)/b/3_0,\(dir.path)/i/3_0.idx,3\n")
        #expect(store.freeCount == 1)
        store.close()

        store = try load(dir, fs)
        #expect(store.volumeIDs == [3])
        #expect(try store.volume(3)?.read(key: 11, cookie: 12) == [1, 2, 3])
        #expect(store.freeCount == 1)
        // Free numbering resumes after the highest listed number.
        #expect(try store.addFreeVolumes(count: 1, blockDirectory: dir.file("b"), indexDirectory: dir.file("i")) == 1)
        #expect(fs.exists(dir.file("b/_free_block_3")))
        try store.addVolume(4)
        try store.addVolume(5)
        #expect(throws: StorageError.noFreeVolume) { try store.addVolume(6) }
        store.close()
    }

    @Test func aVolumeThatFailsToOpenIsReportedNotFatal() throws {
        let dir = TempDir("store-failed")
        defer { dir.remove() }
        let fs = PosixFileSystem()
        var store = try load(dir, fs)
        try store.addFreeVolumes(count: 2, blockDirectory: dir.path, indexDirectory: dir.path)
        try store.addVolume(1).appendAndWait(key: 1, cookie: 1, data: [1])
        try store.addVolume(2).appendAndWait(key: 2, cookie: 2, data: [2])
        store.close()
        var block = fileBytes(dir.file("1_0"))
        block[0] = 0
        try writeFile(dir.file("1_0"), block)
        store = try load(dir, fs)
        defer { store.close() }
        #expect(store.failedVolumes == [1: .badSuperBlockMagic])
        #expect(store.volumeIDs == [2])
        #expect(try store.volume(2)?.read(key: 2, cookie: 2) == [2])
    }

    @Test func listRewriteIsAtomic() throws {
        let dir = TempDir("store-atomic")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        let store = try load(dir, fs)
        defer { store.close() }
        try store.addFreeVolumes(count: 1, blockDirectory: dir.path, indexDirectory: dir.path)
        let before = fileBytes(dir.file("free_volume.idx"))
        // The rename of the new list fails: the old list must be intact, never half written.
        fs.failNext(.rename, errno: EIO)
        #expect(throws: StorageError.self) {
            try store.addFreeVolumes(count: 1, blockDirectory: dir.path, indexDirectory: dir.path)
        }
        #expect(fileBytes(dir.file("free_volume.idx")) == before)
        #expect(try VolumeListFormat.parse(String(decoding: before, as: UTF8.self)).count == 1)
    }

    @Test func malformedListIsRefused() throws {
        let dir = TempDir("store-badlist")
        defer { dir.remove() }
        try writeFile(dir.file("volume.idx"), Array("a,b\n".utf8))
        #expect(throws: StorageError.badVolumeList(line: "a,b")) { _ = try load(dir, PosixFileSystem()) }
    }
}
