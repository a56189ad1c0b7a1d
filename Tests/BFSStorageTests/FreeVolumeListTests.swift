import BFSTestSupport
import Glibc
import Testing
@testable import BFSStorage

/// Free volumes stay accounted for across partial failures and crashes: every file made is
/// listed, and every listed entry has its files.
@Suite struct FreeVolumeListTests {
    func load(_ dir: TempDir, _ fs: FileSystem) throws -> StoreVolumes {
        try StoreVolumes(fileSystem: fs, volumeListPath: dir.file("volume.idx"), freeListPath: dir.file("free_volume.idx"))
    }

    func listed(_ dir: TempDir) throws -> [String] {
        try VolumeListFormat.parse(String(decoding: fileBytes(dir.file("free_volume.idx")), as: UTF8.self))
            .map { String($0.blockPath.split(separator: "/").last!) }
    }

    @Test func aFailureMidwayKeepsAndListsTheVolumesMade() throws {
        let dir = TempDir("free-partial")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        let store = try load(dir, fs)
        defer { store.close() }
        // One open for the free list's temp file, then two per volume (block, index): the 6th
        // is the 3rd volume's block.
        fs.failNext(.open, nth: 6, errno: ENOSPC)
        let outcome = Result { () throws(StorageError) -> Int in
            try store.addFreeVolumes(count: 5, blockDirectory: dir.path, indexDirectory: dir.path)
        }
        let ioFailure = StorageError.io(operation: "injected open", errno: ENOSPC)
        #expect(outcome == .failure(.freeVolumesPartlyCreated(created: 2, cause: ioFailure)))
        #expect(store.freeCount == 2)
        #expect(try listed(dir) == ["_free_block_1", "_free_block_2"])
        #expect(!fs.exists(dir.file("_free_block_3")))
        // The failed number is tried again, no name is skipped.
        #expect(try store.addFreeVolumes(count: 3, blockDirectory: dir.path, indexDirectory: dir.path) == 3)
        #expect(try listed(dir) == (1...5).map { "_free_block_\($0)" })
    }

    /// `addVolume` crashes after its renames, before any list rewrite: the free list still
    /// names files that are gone. Loading drops that entry, and the next `addVolume` works.
    @Test func loadingDropsFreeEntriesWhoseFilesAreGone() throws {
        let dir = TempDir("free-reconcile")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        var store = try load(dir, fs)
        try store.addFreeVolumes(count: 2, blockDirectory: dir.path, indexDirectory: dir.path)
        // Renames: index, block, then the volume list's own replace, which fails.
        fs.failNext(.rename, nth: 3, errno: EIO)
        #expect(throws: StorageError.self) { try store.addVolume(5) }
        store.close()
        #expect(!fs.exists(dir.file("_free_block_1")))

        store = try load(dir, fs)
        defer { store.close() }
        #expect(store.droppedFreeEntries.map(\.blockPath) == [dir.file("_free_block_1")])
        #expect(try listed(dir) == ["_free_block_2"])
        let v = try store.addVolume(6)
        #expect(v.blockPath == dir.file("6_0"))
        #expect(!fs.exists(dir.file("_free_block_2")))
    }

    /// `addFreeVolumes` crashes after making its files, before the free list names them (the
    /// list's replace fails, then the power is cut). No volume may end up in no list: each holds
    /// its preallocated space, and its number would be skipped for ever.
    @Test func crashBeforeTheFreeListNamesNewVolumesLeavesNoneUnlisted() throws {
        let dir = TempDir("free-crash")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        var store = try load(dir, fs)
        fs.failNext(.rename, errno: EIO)
        #expect(throws: StorageError.self) {
            try store.addFreeVolumes(count: 2, blockDirectory: dir.path, indexDirectory: dir.path)
        }
        store.close()
        fs.crash()
        for _ in 0..<2 {
            store = try load(dir, fs)
            let names = (try? listed(dir)) ?? []
            for n in 1...2 {
                let name = "_free_block_\(n)"
                #expect(fs.exists(dir.file(name)) == names.contains(name), "\(name) on disk but not listed")
            }
            #expect(store.freeCount == names.count)
            store.close()
        }
        store = try load(dir, fs)
        defer { store.close() }
        #expect(try store.addFreeVolumes(count: 2, blockDirectory: dir.path, indexDirectory: dir.path) == 2)
        #expect(try listed(dir).allSatisfy { fs.exists(dir.file($0)) && fs.exists(dir.file($0 + ".idx")) })
        #expect(try store.freeCount == listed(dir).count)
    }

    /// A free volume removed by hand while the store runs is skipped, not fatal to every later
    /// `addVolume`.
    @Test func addVolumeSkipsAFreeEntryWhoseFilesVanished() throws {
        let dir = TempDir("free-vanished")
        defer { dir.remove() }
        let fs = PosixFileSystem()
        let store = try load(dir, fs)
        defer { store.close() }
        try store.addFreeVolumes(count: 2, blockDirectory: dir.path, indexDirectory: dir.path)
        try fs.remove(dir.file("_free_block_1"))
        let v = try store.addVolume(3)
        #expect(v.blockPath == dir.file("3_0"))
        #expect(store.freeCount == 0)
        #expect(try listed(dir).isEmpty)
    }
}
