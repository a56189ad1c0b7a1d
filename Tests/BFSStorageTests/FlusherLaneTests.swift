import BFSTestSupport
import Glibc
import Synchronization
import Testing
@testable import BFSStorage

/// Writeback errors with overlapping flusher lanes, and the fault layer's model of them.
@Suite struct FlusherLaneTests {
    /// Linux reports a writeback error once per open file description: a handle opened before the
    /// error reports it at its next sync, once; the writes it covered are lost at a crash.
    @Test func writebackErrorIsReportedOncePerHandle() throws {
        let dir = TempDir("errseq")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        let path = dir.file("f")
        let a = try fs.open(path, create: true), b = try fs.open(path, create: false)
        defer { a.close(); b.close() }
        try [UInt8](repeating: 7, count: 16).withUnsafeBytes { try a.write($0, at: 0) }
        fs.failWriteback(path)
        #expect(throws: StorageError.self) { try a.sync() }
        try a.sync()
        #expect(throws: StorageError.self) { try b.sync() }
        try b.sync()
        let late = try fs.open(path, create: false)
        defer { late.close() }
        try late.sync()
        #expect(fs.hasUnsyncedWrites(path))
        fs.crash()
        #expect(fileBytes(path).isEmpty)
    }

    /// Lane X syncs batch 1 while lane Y's sync of batch 2 runs the writeback of both, which
    /// fails. Y's sync reports the error; X's must too, even though Y has not published its
    /// failure yet. With one shared descriptor, Y's sync consumed the error and X acknowledged
    /// batch 1, which a crash then lost.
    @Test func failedWritebackOfOneLaneFailsTheOtherLanesBatch() throws {
        let dir = TempDir("lanes-errseq")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        var settings = VolumeSettings()
        settings.syncLanes = 2
        let v = try makeVolume(dir, fs: fs, settings: settings)
        try v.appendAndWait(key: 9, cookie: 1, data: [9])
        let block = v.blockPath
        let firstEntered = Gate(), releaseFirst = Gate(), secondChecked = Gate(), releaseSecond = Gate()
        let syncs = Mutex(0), heldFailure = Mutex(false)
        fs.observe { e in
            guard e.operation == .sync, e.path == block else { return }
            if e.stage == .entered {
                let n = syncs.withLock { n in
                    defer { n += 1 }
                    return n
                }
                if n == 0 {
                    firstEntered.open()
                    releaseFirst.wait()
                }
            } else if e.stage == .returning && e.failed,
                      heldFailure.withLock({ h in defer { h = true }; return !h }) {
                // The first failed sync to return is the second one: the first is still held.
                secondChecked.open()
                releaseSecond.wait()
            }
        }
        let first = ResultBox<NeedleLocation>(), second = ResultBox<NeedleLocation>()
        v.append(key: 1, cookie: 1, data: [1]) { first.set($0) }
        #expect(firstEntered.wait())
        fs.failWriteback(block)
        v.append(key: 2, cookie: 1, data: [2]) { second.set($0) }
        #expect(secondChecked.wait())
        releaseFirst.open()
        let outcome = first.wait(seconds: 10)
        releaseSecond.open()
        fs.observe(nil)
        #expect(outcome != nil)
        if case .success = outcome { Issue.record("batch 1 was acknowledged though its writeback failed") }
        #expect(second.wait(seconds: 10).map { (try? $0.get()) == nil } == true)
        #expect(v.info.failed)
        v.close()
        // Crash window: power lost after the failed writeback, before anything else was synced.
        // Neither batch was acknowledged, and neither may come back; the earlier append must.
        fs.crash()
        for _ in 0..<2 {
            let reopened = try reopen(dir, fs: fs, settings: settings)
            #expect(try reopened.read(key: 9, cookie: 1) == [9])
            #expect(reopened.readOutcome(key: 1, cookie: 1) == .failure(.needleNotFound))
            #expect(reopened.readOutcome(key: 2, cookie: 1) == .failure(.needleNotFound))
            reopened.close()
        }
    }

    /// When the flusher goes idle it writes the buffered index hint before it acknowledges, so a
    /// snapshot taken right after an acknowledgement copies an index that names the needle
    /// (before, the write raced the caller and a snapshot could find an empty index).
    @Test func idleFlusherWritesTheIndexHintBeforeAcknowledging() throws {
        let dir = TempDir("index-before-ack")
        defer { dir.remove() }
        let v = try makeVolume(dir, fs: PosixFileSystem())
        defer { v.close() }
        var behind = 0
        for k in Int64(1)...300 {
            try v.appendAndWait(key: k, cookie: 1, data: [1])
            if fileBytes(v.indexPath).count != Int(k) * IndexRecord.size { behind += 1 }
        }
        #expect(behind == 0, "\(behind) of 300 acknowledgements came before their index hint was written")
    }
}
