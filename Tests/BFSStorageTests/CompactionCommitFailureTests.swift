import BFSTestSupport
import Glibc
import Testing
@testable import BFSStorage

/// A compaction whose commit (the volume list rewrite) fails keeps the old files and removes
/// the new ones; the store must go on naming the old files, in memory too, or the next list
/// rewrite records files that no longer exist and the volume fails to open after a restart.
@Suite struct CompactionCommitFailureTests {
    @Test func failedCommitLeavesTheListNamingTheOldFiles() throws {
        let dir = TempDir("compact-commit-fails")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        var store = try StoreVolumes(fileSystem: fs, volumeListPath: dir.file("volume.idx"),
                                     freeListPath: dir.file("free_volume.idx"))
        try store.addFreeVolumes(count: 2, blockDirectory: dir.path, indexDirectory: dir.path)
        let v = try store.addVolume(1)
        for k in Int64(1)...10 { try v.appendAndWait(key: k, cookie: 1, data: payload(k, 0, size: 200)) }
        try v.deleteAndWait(key: 4)
        // Compaction renames nothing but the list in its commit: that rename fails.
        fs.failNext(.rename, errno: EIO)
        #expect(throws: StorageError.self) { try store.compactVolume(1) }
        #expect(v.blockPath == dir.file("1_0"))
        #expect(!fs.exists(dir.file("1_1")))
        // Any later list change rewrites the whole list from memory.
        try store.addVolume(2)
        #expect(String(decoding: fileBytes(dir.file("volume.idx")), as: UTF8.self)
            == "\(dir.file("1_0")),\(dir.file("1_0.idx")),1\n\(dir.file("2_0")),\(dir.file("2_0.idx")),2\n")
        store.close()
        for _ in 0..<2 {
            store = try StoreVolumes(fileSystem: fs, volumeListPath: dir.file("volume.idx"),
                                     freeListPath: dir.file("free_volume.idx"))
            #expect(store.failedVolumes.isEmpty)
            let reopened = try #require(store.volume(1))
            #expect(try reopened.read(key: 3, cookie: 1) == payload(3, 0, size: 200))
            #expect(reopened.readOutcome(key: 4, cookie: 1) == .failure(.needleDeleted))
            store.close()
        }
    }
}
