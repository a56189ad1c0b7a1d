import BFSTestSupport
import Dispatch
import Glibc
import Synchronization
import Testing
@testable import BFSStorage

@Suite struct CompactionTests {
    func load(_ dir: TempDir, _ fs: FileSystem) throws -> StoreVolumes {
        try StoreVolumes(fileSystem: fs, volumeListPath: dir.file("volume.idx"), freeListPath: dir.file("free_volume.idx"))
    }

    /// A store with volume 1 holding keys 1...20 (cookie = key), 5 and 6 deleted, 7 overwritten.
    func populated(_ dir: TempDir, _ fs: FileSystem) throws -> StoreVolumes {
        let store = try load(dir, fs)
        try store.addFreeVolumes(count: 1, blockDirectory: dir.path, indexDirectory: dir.path)
        let v = try store.addVolume(1)
        for k in 1...20 { try v.appendAndWait(key: Int64(k), cookie: Int32(k), data: payload(Int64(k), 0, size: 100 + k)) }
        try v.deleteAndWait(key: 5)
        try v.deleteAndWait(key: 6)
        try v.appendAndWait(key: 7, cookie: 7, data: payload(7, 1, size: 33))
        return store
    }

    func expectPopulatedState(_ v: Volume, deleted: Set<Int64> = [5, 6], overwritten: [Int64: [UInt8]] = [7: payload(7, 1, size: 33)]) throws {
        for k in Int64(1)...20 {
            let outcome = v.readOutcome(key: k, cookie: Int32(k))
            if deleted.contains(k) {
                #expect((try? outcome.get()) == nil, "key \(k) must stay deleted")
            } else if let data = overwritten[k] {
                #expect(try outcome.get() == data)
            } else {
                #expect(try outcome.get() == payload(k, 0, size: 100 + Int(k)))
            }
        }
    }

    @Test func compactionDropsDeadNeedlesAndSurvivesRestart() throws {
        let dir = TempDir("compact-basic")
        defer { dir.remove() }
        let fs = PosixFileSystem()
        var store = try populated(dir, fs)
        let result = try store.compactVolume(1)
        #expect(result.needlesCopied == 18)
        #expect(result.bytesAfter < result.bytesBefore)
        let v = store.volume(1)!
        #expect(v.blockPath == dir.file("1_1"))
        #expect(!fs.exists(dir.file("1_0")))
        try expectPopulatedState(v)
        try v.appendAndWait(key: 21, cookie: 21, data: [21])
        try v.deleteAndWait(key: 8)
        store.close()
        store = try load(dir, fs)
        defer { store.close() }
        try expectPopulatedState(store.volume(1)!, deleted: [5, 6, 8])
        #expect(try store.volume(1)!.read(key: 21, cookie: 21) == [21])
    }

    /// bfs bug 8: a delete acknowledged just before compaction starts must not come back.
    @Test func deleteJustBeforeCompactionStaysDeleted() throws {
        let dir = TempDir("compact-bug8")
        defer { dir.remove() }
        let fs = PosixFileSystem()
        var store = try populated(dir, fs)
        try store.volume(1)!.deleteAndWait(key: 9)
        try store.compactVolume(1)
        try expectPopulatedState(store.volume(1)!, deleted: [5, 6, 9])
        store.close()
        store = try load(dir, fs)
        defer { store.close() }
        try expectPopulatedState(store.volume(1)!, deleted: [5, 6, 9])
    }

    /// bfs bug 9: deletes and overwrites issued during the copy must reach the new files.
    @Test func deleteAndOverwriteDuringCompactionPersist() throws {
        let dir = TempDir("compact-bug9")
        defer { dir.remove() }
        let fs = PosixFileSystem()
        var store = try populated(dir, fs)
        let v = store.volume(1)!
        try store.compactVolume(1) { (step: CompactionStep) throws(StorageError) in
            guard step == .copied else { return }
            // Key 10 and 11 were already copied when these arrive.
            try v.deleteAndWait(key: 10)
            try v.appendAndWait(key: 11, cookie: 11, data: [1, 1])
            try v.appendAndWait(key: 30, cookie: 30, data: [3, 0])
        }
        let over: [Int64: [UInt8]] = [7: payload(7, 1, size: 33), 11: [1, 1]]
        try expectPopulatedState(v, deleted: [5, 6, 10], overwritten: over)
        #expect(try v.read(key: 30, cookie: 30) == [3, 0])
        store.close()
        store = try load(dir, fs)
        defer { store.close() }
        try expectPopulatedState(store.volume(1)!, deleted: [5, 6, 10], overwritten: over)
        #expect(try store.volume(1)!.read(key: 30, cookie: 30) == [3, 0])
    }

    /// bfs bug 10: a key whose delete reached the disk before the copy got to it must neither
    /// abort the compaction nor come back.
    @Test func deleteAlreadyOnDiskDoesNotAbortCompaction() throws {
        let dir = TempDir("compact-bug10")
        defer { dir.remove() }
        let fs = PosixFileSystem()
        var store = try populated(dir, fs)
        let v = store.volume(1)!
        // Key 12's flag is durable; the map is rebuilt from a stale index hint after a restart, so
        // the map still calls it live until someone reads it.
        try v.deleteAndWait(key: 12)
        store.close()
        store = try load(dir, fs)
        let result = try store.compactVolume(1)
        #expect(result.needlesCopied == 17)
        #expect(result.damagedSkipped == 0)
        try expectPopulatedState(store.volume(1)!, deleted: [5, 6, 12])
        store.close()
        store = try load(dir, fs)
        defer { store.close() }
        try expectPopulatedState(store.volume(1)!, deleted: [5, 6, 12])
    }

    @Test func readsAndWritesGoOnDuringCompactionAndLeasesOutliveTheSwap() throws {
        let dir = TempDir("compact-online")
        defer { dir.remove() }
        let fs = PosixFileSystem()
        let store = try populated(dir, fs)
        defer { store.close() }
        let v = store.volume(1)!
        for k in 100..<2100 { try v.appendAndWait(key: Int64(k), cookie: 1, data: payload(Int64(k), 0, size: 2000)) }
        let lease = try v.locate(key: 1, cookie: 1)
        let oldPath = v.blockPath
        let stop = Atomic<Bool>(false)
        let errors = Atomic<Int>(0)
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            var k = Int64(5000)
            while !stop.load(ordering: .relaxed) {
                do {
                    try v.appendAndWait(key: k, cookie: 2, data: payload(k, 0, size: 500))
                    if try v.read(key: 100 + (k % 2000), cookie: 1) != payload(100 + (k % 2000), 0, size: 2000) {
                        errors.add(1, ordering: .relaxed)
                    }
                } catch { errors.add(1, ordering: .relaxed) }
                k += 1
            }
        }
        var progress: CompactionProgress?
        try store.compactVolume(1) { (step: CompactionStep) throws(StorageError) in
            if step == .copied { progress = v.compaction }
        }
        stop.store(true, ordering: .relaxed)
        group.wait()
        #expect(errors.load(ordering: .relaxed) == 0)
        // After the copy passes every byte counted so far is done; 2,000 needles of 2 KiB at least.
        #expect(progress != nil && progress!.bytesDone == progress!.bytesTotal && progress!.bytesTotal > 2000 * 2000)
        #expect(v.compaction == nil)
        #expect(v.blockPath != oldPath)
        #expect(!fs.exists(oldPath))
        // The lease taken before the swap still reads the (unlinked) old file.
        #expect(try lease.readVerified() == payload(1, 0, size: 101))
        for k in 100..<2100 { #expect(try v.read(key: Int64(k), cookie: 1) == payload(Int64(k), 0, size: 2000)) }
    }

    /// The unlink of the old files is made durable: a power cut after compaction must not bring
    /// them back (their names would be skipped forever and their space held).
    @Test func oldFilesUnlinkIsFollowedByADirectorySync() throws {
        let dir = TempDir("compact-unlink-sync")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        let store = try populated(dir, fs)
        defer { store.close() }
        var afterSwap = 0, afterRemoval = 0
        try store.compactVolume(1) { (step: CompactionStep) throws(StorageError) in
            if step == .swapped { afterSwap = fs.calls(.syncDirectory) }
            if step == .oldFilesRemoved { afterRemoval = fs.calls(.syncDirectory) }
        }
        #expect(afterRemoval > afterSwap, "no directory sync after the old files were unlinked")
    }

    @Test func secondCompactionIsRefusedWhileOneRuns() throws {
        let dir = TempDir("compact-twice")
        defer { dir.remove() }
        let store = try populated(dir, PosixFileSystem())
        defer { store.close() }
        let v = store.volume(1)!
        var inner: StorageError?
        try store.compactVolume(1) { (step: CompactionStep) throws(StorageError) in
            if step == .copied {
                do throws(StorageError) { try v.compact(toBlock: dir.file("x"), index: dir.file("x.idx")) } catch { inner = error }
            }
        }
        #expect(inner == .compacting)
    }

    /// One crash per compaction step: whatever step the power fails at, a restart serves every
    /// acknowledged write and keeps every acknowledged delete, and recovery is idempotent.
    @Test(arguments: CompactionStep.allCases)
    func crashAtCompactionStep(_ crashAt: CompactionStep) throws {
        let dir = TempDir("compact-crash")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        var store = try populated(dir, fs)
        let v = store.volume(1)!
        #expect(throws: StorageError.self) {
            try store.compactVolume(1) { (step: CompactionStep) throws(StorageError) in
                if step == .copied { try v.deleteAndWait(key: 13) }
                if step == crashAt {
                    fs.crash()
                    throw .io(operation: "simulated power loss", errno: EIO)
                }
            }
        }
        store.close()
        store = try load(dir, fs)
        #expect(store.failedVolumes.isEmpty)
        try expectPopulatedState(store.volume(1)!, deleted: [5, 6, 13])
        let files = store.volume(1)!.blockPath
        store.close()
        let snapshot = fileBytes(files)
        store = try load(dir, fs)
        defer { store.close() }
        try expectPopulatedState(store.volume(1)!, deleted: [5, 6, 13])
        #expect(store.volume(1)!.blockPath == files)
        #expect(fileBytes(files) == snapshot)
    }
}
