import BFSTestSupport
import Dispatch
import Glibc
import Synchronization
import Testing
@testable import BFSStorage

/// Compaction against a concurrent close, the store's commit step, damaged needles, and reads
/// that straddle the swap.
@Suite struct CompactionConcurrencyTests {
    /// Runs `body` on a thread of its own; the result, or nil if it did not finish in `seconds`.
    func runBounded<T: Sendable>(seconds: Double = 10, _ body: @escaping @Sendable () -> T) -> T? {
        let box = Mutex<T?>(nil)
        let done = Gate()
        DispatchQueue.global().async {
            let r = body()
            box.withLock { $0 = r }
            done.open()
        }
        return done.wait(seconds: seconds) ? box.withLock { $0 } : nil
    }

    /// A close (SIGTERM) between the copy and the swap ends the compaction instead of leaving it
    /// waiting for a flusher that stopped.
    @Test func closeDuringCompactionEndsIt() throws {
        let dir = TempDir("compact-close")
        defer { dir.remove() }
        let fs = PosixFileSystem()
        let v = try makeVolume(dir, fs: fs)
        for k in Int64(1)...10 { try v.appendAndWait(key: k, cookie: 1, data: payload(k, 0, size: 50)) }
        let newBlock = dir.file("1_1"), newIndex = dir.file("1_1.idx")
        let outcome = runBounded { () -> Result<CompactionResult, StorageError> in
            Result { () throws(StorageError) -> CompactionResult in
                try v.compact(toBlock: newBlock, index: newIndex, hook: { step in
                    if step == .copied { v.close() }
                })
            }
        }
        #expect(outcome != nil, "compaction still running 10 s after the volume closed")
        if let outcome { #expect(outcome == .failure(.volumeClosed)) }
        #expect(!fs.exists(newBlock) && !fs.exists(newIndex))
    }

    /// The commit step (the store's admin lock) runs without the append lock: an admin thread that
    /// closes the volume meanwhile must not wait for the compaction (it would deadlock).
    @Test func commitRunsWithoutTheAppendLock() throws {
        let dir = TempDir("compact-commit")
        defer { dir.remove() }
        let fs = PosixFileSystem()
        let v = try makeVolume(dir, fs: fs)
        for k in Int64(1)...10 { try v.appendAndWait(key: k, cookie: 1, data: payload(k, 0, size: 50)) }
        let closedInCommit = Mutex(false)
        let outcome = runBounded { () -> Result<CompactionResult, StorageError> in
            Result { () throws(StorageError) -> CompactionResult in
                try v.compact(toBlock: dir.file("1_1"), index: dir.file("1_1.idx"), commit: { _, _ in
                    let closer = Gate()
                    DispatchQueue.global().async {
                        v.close()
                        closer.open()
                    }
                    closedInCommit.withLock { $0 = closer.wait(seconds: 3) }
                })
            }
        }
        #expect(outcome.map { (try? $0.get()) != nil } == true)
        #expect(closedInCommit.withLock { $0 }, "close waited for the compaction's commit step")
        // The commit made the new files the volume's: they hold everything, twice over a reopen.
        #expect(v.blockPath == dir.file("1_1"))
        for _ in 0..<2 {
            let reopened = try Volume(id: 1, blockPath: dir.file("1_1"), indexPath: dir.file("1_1.idx"), fileSystem: fs)
            for k in Int64(1)...10 { #expect(try reopened.read(key: k, cookie: 1) == payload(k, 0, size: 50)) }
            reopened.close()
        }
    }

    /// The bulk of the new block is synced before the append lock is taken, so writes do not
    /// wait behind a whole-block fdatasync.
    @Test func newBlockIsSyncedBeforeTheAppendLock() throws {
        let dir = TempDir("compact-sync")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        let v = try makeVolume(dir, fs: fs)
        defer { v.close() }
        for k in Int64(1)...10 { try v.appendAndWait(key: k, cookie: 1, data: payload(k, 0, size: 50)) }
        let newBlock = dir.file("1_1")
        // Whether the append lock was free at each sync of the new block after needles were
        // copied into it (the super block at offset 0 is written and synced at creation).
        let lockFreeAtSync = Mutex<[Bool]>([])
        let copied = Mutex(false)
        fs.observe { e in
            guard e.path == newBlock, e.stage == .entered else { return }
            if e.operation == .write && e.offset >= Int64(SuperBlockFormat.headerSize) { copied.withLock { $0 = true } }
            guard e.operation == .sync, copied.withLock({ $0 }) else { return }
            let free = v.appender.withLockIfAvailable { _ in true } ?? false
            lockFreeAtSync.withLock { $0.append(free) }
        }
        try v.compact(toBlock: newBlock, index: dir.file("1_1.idx"))
        fs.observe(nil)
        #expect(lockFreeAtSync.withLock { $0.first } == true)
    }

    /// A damaged needle is skipped and counted once, not once per catch-up pass.
    @Test func damagedNeedleIsCountedOnce() throws {
        let dir = TempDir("compact-damaged")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        let v = try makeVolume(dir, fs: fs)
        defer { v.close() }
        var locs: [NeedleLocation] = []
        for k in Int64(1)...5 { locs.append(try v.appendAndWait(key: k, cookie: 1, data: payload(k, 0, size: 50))) }
        try fs.flipBit(v.blockPath, at: Int64(locs[2].offsetUnits) * 8 + Int64(NeedleFormat.headerSize) + 3)
        let result = try v.compact(toBlock: dir.file("1_1"), index: dir.file("1_1.idx"))
        #expect(result.damagedSkipped == 1)
        #expect(result.needlesCopied == 4)
    }

    /// A read that looked a key up before a compaction and finds it flagged deleted in the old
    /// block must not mark the key deleted in the new map, where the same offset may hold a
    /// live needle of that key written after the swap.
    @Test func readOfTheOldBlockDoesNotDeleteInTheNewMap() throws {
        let dir = TempDir("compact-fixup")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        let v = try makeVolume(dir, fs: fs)
        defer { v.close() }
        try v.appendAndWait(key: 1, cookie: 1, data: payload(1, 0, size: 100))
        let old = try v.appendAndWait(key: 2, cookie: 1, data: payload(2, 0, size: 100))
        let oldBlock = v.blockPath
        let readerEntered = Gate(), releaseReader = Gate()
        let held = Mutex(false)
        fs.observe { e in
            guard e.operation == .read, e.stage == .entered, e.path == oldBlock,
                  e.offset == Int64(old.offsetUnits) * 8 else { return }
            guard held.withLock({ h in defer { h = true }; return !h }) else { return }
            readerEntered.open()
            releaseReader.wait()
        }
        let reader = Gate()
        DispatchQueue.global().async {
            _ = v.readOutcome(key: 2, cookie: 1)
            reader.open()
        }
        #expect(readerEntered.wait())
        try v.deleteAndWait(key: 2)
        try v.compact(toBlock: dir.file("1_1"), index: dir.file("1_1.idx"))
        let again = try v.appendAndWait(key: 2, cookie: 1, data: payload(2, 1, size: 100))
        #expect(again.offsetUnits == old.offsetUnits, "the test needs the new needle at the old offset")
        releaseReader.open()
        #expect(reader.wait())
        fs.observe(nil)
        #expect(v.readOutcome(key: 2, cookie: 1) == .success(payload(2, 1, size: 100)))
    }
}
