import BFSTestSupport
import Glibc
import Testing
@testable import BFSStorage

/// `StoreVolumes` refuses volume files outside its data directories or already its own, whoever
/// names them (an admin request, or a path read back from coordination at startup).
@Suite struct VolumePathGuardTests {
    @Test func canonicalResolvesLinksAndRefusesClimbingOut() throws {
        let dir = TempDir("guard-canonical")
        defer { dir.remove() }
        #expect(symlink("/etc", dir.file("etc")) == 0)
        let guardian = VolumePathGuard(directories: [dir.path])
        #expect(try guardian.confine(dir.file("new/deeper/file")) == dir.file("new/deeper/file"))
        #expect(throws: StorageError.pathNotAllowed(path: dir.file("etc/passwd"))) { try guardian.confine(dir.file("etc/passwd")) }
        #expect(throws: StorageError.pathNotAllowed(path: dir.file("new/../../x"))) { try guardian.confine(dir.file("new/../../x")) }
        #expect(throws: StorageError.pathNotAllowed(path: "relative/x")) { try guardian.confine("relative/x") }
        #expect(throws: StorageError.pathNotAllowed(path: dir.path + "-sibling/x")) { try guardian.confine(dir.path + "-sibling/x") }
    }

    @Test func bulkVolumeOfPathsFromAnywhereIsRefused() throws {
        let dir = TempDir("guard-bulk")
        let outside = TempDir("guard-bulk-outside")
        defer { dir.remove(); outside.remove() }
        let fs = PosixFileSystem()
        try VolumeFiles.create(blockPath: outside.file("9_0"), indexPath: outside.file("9_0.idx"), fileSystem: fs, preallocation: 0)
        let store = try StoreVolumes(fileSystem: fs, volumeListPath: dir.file("volume.idx"), freeListPath: dir.file("free_volume.idx"),
                                     dataDirectories: [dir.path])
        defer { store.close() }
        #expect(throws: StorageError.pathNotAllowed(path: outside.file("9_0"))) {
            try store.bulkVolume(id: 9, blockPath: outside.file("9_0"), indexPath: outside.file("9_0.idx"))
        }
        #expect(throws: StorageError.pathNotAllowed(path: outside.path)) {
            try store.addFreeVolumes(count: 1, blockDirectory: outside.path, indexDirectory: dir.path)
        }
        #expect(store.volume(9) == nil)
        #expect(fileBytes(dir.file("volume.idx")).isEmpty)
    }

    @Test func aVolumesOwnFilesCannotBecomeAnotherVolume() throws {
        let dir = TempDir("guard-owned")
        defer { dir.remove() }
        let fs = PosixFileSystem()
        let store = try StoreVolumes(fileSystem: fs, volumeListPath: dir.file("volume.idx"), freeListPath: dir.file("free_volume.idx"),
                                     dataDirectories: [dir.path])
        defer { store.close() }
        try store.addFreeVolumes(count: 2, blockDirectory: dir.path, indexDirectory: dir.path)
        let live = try store.addVolume(1)
        #expect(throws: StorageError.fileInUse(path: live.blockPath)) {
            try store.bulkVolume(id: 2, blockPath: live.blockPath, indexPath: dir.file("2_0.idx"))
        }
        // A free volume is the store's too.
        #expect(throws: StorageError.fileInUse(path: dir.file("_free_block_2"))) {
            try store.bulkVolume(id: 2, blockPath: dir.file("_free_block_2"), indexPath: dir.file("2_0.idx"))
        }
        #expect(!fs.exists(dir.file("2_0.idx")))
    }
}
