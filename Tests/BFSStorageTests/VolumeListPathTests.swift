import BFSTestSupport
import Testing
@testable import BFSStorage

/// The volume lists separate fields with `,` and entries with line breaks: a path holding one
/// of those would be written into a list that the next start refuses to parse, so the store
/// would not come up again. Such paths are refused before anything is created.
@Suite struct VolumeListPathTests {
    @Test func pathsTheListsCannotHoldAreRefused() throws {
        let dir = TempDir("list-paths")
        defer { dir.remove() }
        let fs = PosixFileSystem()
        var store = try StoreVolumes(fileSystem: fs, volumeListPath: dir.file("volume.idx"),
                                     freeListPath: dir.file("free_volume.idx"))
        for bad in [dir.file("a,b"), dir.file("a\nb"), dir.file("a\rb")] {
            #expect(throws: StorageError.pathNotListable(path: bad)) {
                try store.addFreeVolumes(count: 1, blockDirectory: bad, indexDirectory: dir.path)
            }
            #expect(throws: StorageError.pathNotListable(path: bad)) {
                try store.addFreeVolumes(count: 1, blockDirectory: dir.path, indexDirectory: bad)
            }
            #expect(!fs.exists(bad))
        }
        let block = dir.file("9,0")
        try VolumeFiles.create(blockPath: block, indexPath: dir.file("9_0.idx"), fileSystem: fs, preallocation: 0)
        #expect(throws: StorageError.pathNotListable(path: block)) {
            try store.bulkVolume(id: 9, blockPath: block, indexPath: dir.file("9_0.idx"))
        }
        try VolumeFiles.create(blockPath: dir.file("9_1"), indexPath: dir.file("9_1.idx"), fileSystem: fs, preallocation: 0)
        #expect(throws: StorageError.pathNotListable(path: dir.file("9\n1.idx"))) {
            try store.bulkVolume(id: 9, blockPath: dir.file("9_1"), indexPath: dir.file("9\n1.idx"))
        }
        #expect(try store.addFreeVolumes(count: 1, blockDirectory: dir.path, indexDirectory: dir.path) == 1)
        store.close()
        store = try StoreVolumes(fileSystem: fs, volumeListPath: dir.file("volume.idx"),
                                 freeListPath: dir.file("free_volume.idx"))
        #expect(store.freeCount == 1)
        #expect(store.volumeIDs.isEmpty)
        store.close()
    }
}
