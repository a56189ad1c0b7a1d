import BFSTestSupport
import Foundation
import Synchronization
import Testing
@testable import BFSStorage

/// `addFreeVolumes` holds the store's admin lock across every `fallocate` and sync of the new
/// files, and a compaction's commit step needs that lock. The compaction must wait for it
/// without its volume sealed: uploads to that volume go on meanwhile.
@Suite struct AddFreeVolumeLockTests {
    @Test func uploadsGoOnWhileACompactionWaitsForASlowAddFreeVolume() throws {
        let dir = TempDir("free-admin-lock")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        let store = try StoreVolumes(fileSystem: fs, volumeListPath: dir.file("volume.idx"),
                                     freeListPath: dir.file("free_volume.idx"))
        defer { store.close() }
        try store.addFreeVolumes(count: 1, blockDirectory: dir.path, indexDirectory: dir.path)
        let v = try store.addVolume(1)
        try v.appendAndWait((1...200).map { NeedleInput(key: Int64($0), cookie: 1, data: payload(Int64($0), 0, size: 1000)) })

        // The compaction copies, then waits at `.copied` until add_free_volume is held in the
        // sync of its new block (right after its fallocate), admin lock held.
        let inSync = Gate(), release = Gate(), added = Gate(), copied = Gate(), proceed = Gate(), compacted = Gate()
        let compaction = Mutex<StorageError?>(nil)
        Thread {
            do throws(StorageError) {
                try store.compactVolume(1) { (step: CompactionStep) throws(StorageError) in
                    if step == .copied {
                        copied.open()
                        _ = proceed.wait(seconds: 60)
                    }
                }
            } catch {
                compaction.withLock { $0 = error }
            }
            compacted.open()
        }.start()
        defer { proceed.open() }
        #expect(copied.wait())
        let paused = Atomic<Bool>(false)
        fs.observe { event in
            guard event.operation == .sync, event.stage == .entered, event.path.contains("_free_block_"),
                  !paused.exchange(true, ordering: .relaxed) else { return }
            inSync.open()
            _ = release.wait(seconds: 60)
        }
        defer { release.open() }
        Thread {
            _ = try? store.addFreeVolumes(count: 1, blockDirectory: dir.path, indexDirectory: dir.path)
            added.open()
        }.start()
        #expect(inSync.wait())
        proceed.open()
        // The compaction now heads for its commit: for a second, every upload must complete.
        var key: Int64 = 1000, stalled = false
        let until = ContinuousClock.now + .seconds(1)
        while ContinuousClock.now < until {
            let box = ResultBox<[NeedleLocation]>()
            // From another thread: a sealed volume blocks the caller of `append` itself.
            let needle = NeedleInput(key: key, cookie: 1, data: payload(key, 0, size: 100))
            Thread { v.append([needle]) { box.set($0) } }.start()
            guard let outcome = box.wait(seconds: 5) else {
                stalled = true
                break
            }
            #expect(throws: Never.self) { try outcome.get() }
            key += 1
        }
        #expect(!stalled, "an upload waited for the compaction that waited for add_free_volume")
        release.open()
        #expect(added.wait(seconds: 30))
        #expect(compacted.wait(seconds: 30))
        #expect(compaction.withLock { $0 } == nil)
        #expect(store.freeCount == 1)
        #expect(v.blockPath == dir.file("1_1"))
        // Uploads made before the seal were copied, those after it landed in the new block.
        for k in Int64(1000)..<key { #expect(try v.read(key: k, cookie: 1) == payload(k, 0, size: 100)) }
        #expect(try v.read(key: 7, cookie: 1) == payload(7, 0, size: 1000))
    }
}
