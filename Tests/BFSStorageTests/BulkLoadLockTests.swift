import BFSTestSupport
import Foundation
import Synchronization
import Testing
@testable import BFSStorage

/// A bulk load opens a volume (recovery may rescan a whole block) and prepares it (a pull
/// applies its peer's deletes, waiting for syncs): minutes, at worst. A compaction's commit step
/// takes the store's admin lock while its volume is sealed, so every upload to that volume
/// waits until it gets it: the load must not hold the admin lock across that work.
@Suite struct BulkLoadLockTests {
    @Test func aSlowBulkLoadDoesNotHoldUpACompactionCommit() throws {
        let dir = TempDir("bulk-admin-lock")
        defer { dir.remove() }
        let fs = PosixFileSystem()
        let store = try StoreVolumes(fileSystem: fs, volumeListPath: dir.file("volume.idx"),
                                     freeListPath: dir.file("free_volume.idx"))
        defer { store.close() }
        try store.addFreeVolumes(count: 1, blockDirectory: dir.path, indexDirectory: dir.path)
        let v = try store.addVolume(1)
        for key in Int64(1)...5 { try v.appendAndWait(key: key, cookie: 1, data: [UInt8](repeating: 7, count: 64)) }
        try VolumeFiles.create(blockPath: dir.file("9_0"), indexPath: dir.file("9_0.idx"), fileSystem: fs, preallocation: 0)

        let preparing = Gate(), release = Gate(), bulkDone = Gate(), compacted = Gate()
        let bulkOutcome = Mutex<StorageError?>(nil)
        Thread {
            do throws(StorageError) {
                try store.bulkVolume(id: 9, blockPath: dir.file("9_0"), indexPath: dir.file("9_0.idx"),
                                     prepare: { _ in
                                         preparing.open()
                                         _ = release.wait(seconds: 30)
                                     })
            } catch {
                bulkOutcome.withLock { $0 = error }
            }
            bulkDone.open()
        }.start()
        #expect(preparing.wait())
        Thread {
            _ = try? store.compactVolume(1)
            compacted.open()
        }.start()
        // The compaction commits while the load is still preparing its volume.
        let committedMeanwhile = compacted.wait(seconds: 10)
        release.open()
        #expect(committedMeanwhile, "the compaction waited for the bulk load's admin lock")
        #expect(bulkDone.wait(seconds: 30))
        if !committedMeanwhile { #expect(compacted.wait(seconds: 30)) }
        #expect(bulkOutcome.withLock { $0 } == nil)
        #expect(store.volumeIDs == [1, 9])
        #expect(v.blockPath == dir.file("1_1"))
        #expect(try v.read(key: 3, cookie: 1) == [UInt8](repeating: 7, count: 64))
    }
}
