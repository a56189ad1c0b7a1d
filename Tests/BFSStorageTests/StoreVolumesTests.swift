import BFSTestSupport
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

@Suite struct DurableNamingTests {
    @Test func listReplacementIsDurableOnlyAfterTheDirectorySync() throws {
        let dir = TempDir("naming-dirsync")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        let path = dir.file("volume.idx")
        try fs.replaceAtomically(path, with: Array("a,b,1\n".utf8))
        // Crash window: the new list was renamed over the old one, the directory sync failed.
        fs.failNext(.syncDirectory, errno: EIO)
        #expect(throws: StorageError.self) { try fs.replaceAtomically(path, with: Array("c,d,2\n".utf8)) }
        #expect(String(decoding: fileBytes(path), as: UTF8.self) == "c,d,2\n")
        fs.crash()
        #expect(String(decoding: fileBytes(path), as: UTF8.self) == "a,b,1\n")
        #expect(!fs.exists(path + ".tmp"))
    }

    @Test func unsyncedCreationVanishesOnCrash() throws {
        let dir = TempDir("naming-create")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        let file = try fs.open(dir.file("x"), create: true)
        try [UInt8](repeating: 7, count: 100).withUnsafeBytes { try file.write($0, at: 0) }
        try file.sync()
        file.close()
        fs.crash()
        #expect(!fs.exists(dir.file("x")))
        let again = try fs.open(dir.file("y"), create: true)
        again.close()
        try fs.syncDirectory(dir.path)
        fs.crash()
        #expect(fs.exists(dir.file("y")))
    }

    @Test func freeVolumesArePreallocatedWithoutGrowing() throws {
        let dir = TempDir("naming-prealloc")
        defer { dir.remove() }
        var settings = VolumeSettings()
        settings.blockPreallocation = 1 << 20
        let store = try StoreVolumes(fileSystem: PosixFileSystem(), volumeListPath: dir.file("volume.idx"),
                                     freeListPath: dir.file("free_volume.idx"), settings: settings)
        defer { store.close() }
        try store.addFreeVolumes(count: 1, blockDirectory: dir.path, indexDirectory: dir.path)
        var st = stat()
        #expect(stat(dir.file("_free_block_1"), &st) == 0)
        #expect(st.st_size == 8)
        #expect(Int(st.st_blocks) * 512 >= 1 << 20)
    }
}

@Suite struct AddVolumeFailureTests {
    @Test func aFreeVolumeThatFailsToOpenGoesBackToTheFreeList() throws {
        let dir = TempDir("store-addfail")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        let store = try StoreVolumes(fileSystem: fs, volumeListPath: dir.file("volume.idx"), freeListPath: dir.file("free_volume.idx"))
        defer { store.close() }
        try store.addFreeVolumes(count: 1, blockDirectory: dir.path, indexDirectory: dir.path)
        fs.failNext(.read, errno: EIO)  // the super block read during recovery
        #expect(throws: StorageError.io(operation: "injected read", errno: EIO)) { try store.addVolume(9) }
        #expect(fs.exists(dir.file("_free_block_1")))
        #expect(!fs.exists(dir.file("9_0")))
        #expect(store.freeCount == 1)
        #expect(try store.addVolume(9).blockPath == dir.file("9_0"))
    }
}
