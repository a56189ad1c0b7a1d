import BFSTestSupport
import Dispatch
import Glibc
import Synchronization
import Testing
@testable import BFSStorage

@Suite struct VolumeTests {
    @Test func appendLocateReadDelete() throws {
        let dir = TempDir("volume-basic")
        defer { dir.remove() }
        let fs = PosixFileSystem()
        let v = try makeVolume(dir, fs: fs)
        defer { v.close() }
        let data = payload(42, 0, size: 5000)
        let loc = try v.appendAndWait(key: 42, cookie: 7, data: data)
        #expect(loc.offsetUnits == 1)
        #expect(Int(loc.totalSize) == NeedleFormat.totalSize(dataSize: 5000))
        let extent = try v.locate(key: 42, cookie: 7)
        #expect(extent.dataOffset == 8 + 21)
        #expect(extent.dataSize == 5000)
        #expect(extent.descriptor >= 0)
        #expect(try extent.readVerified() == data)
        #expect(try v.read(key: 42, cookie: 7) == data)
        #expect(v.readOutcome(key: 42, cookie: 8) == .failure(.cookieMismatch))
        #expect(v.readOutcome(key: 43, cookie: 7) == .failure(.needleNotFound))
        try v.deleteAndWait(key: 42)
        #expect(v.readOutcome(key: 42, cookie: 7) == .failure(.needleDeleted))
        #expect(throws: StorageError.needleDeleted) { try v.deleteAndWait(key: 42) }
        #expect(throws: StorageError.needleNotFound) { try v.deleteAndWait(key: 99) }
        // The flag byte is the on-disk record of the delete.
        #expect(fileBytes(dir.file("1_0"))[8 + NeedleFormat.flagOffset] == 1)
    }

    @Test func overwriteAppendsAndFlagsTheOldNeedle() throws {
        let dir = TempDir("volume-overwrite")
        defer { dir.remove() }
        let fs = PosixFileSystem()
        var v = try makeVolume(dir, fs: fs)
        try v.appendAndWait(key: 5, cookie: 1, data: payload(5, 1, size: 10))
        let second = try v.appendAndWait(key: 5, cookie: 2, data: payload(5, 2, size: 20))
        #expect(second.offsetUnits == 1 + 40 / 8)
        #expect(try v.read(key: 5, cookie: 2) == payload(5, 2, size: 20))
        #expect(v.readOutcome(key: 5, cookie: 1) == .failure(.cookieMismatch))
        v.close()
        #expect(fileBytes(dir.file("1_0"))[8 + NeedleFormat.flagOffset] == 1)
        v = try reopen(dir, fs: fs)
        defer { v.close() }
        #expect(try v.read(key: 5, cookie: 2) == payload(5, 2, size: 20))
        #expect(v.info.liveCount == 1)
    }

    @Test func batchAppendIsOneWriteAndOneSync() throws {
        let dir = TempDir("volume-batch")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        let v = try makeVolume(dir, fs: fs)
        defer { v.close() }
        let syncsBefore = fs.calls(.sync)
        let writesBefore = fs.calls(.write)
        let needles = (1...9).map { NeedleInput(key: Int64($0), cookie: Int32($0), data: payload(Int64($0), 0, size: $0 * 100)) }
        let locs = try v.appendAndWait(needles)
        #expect(locs.count == 9)
        // One block write; the flusher may also have written the index hint when it went idle.
        #expect((1...2).contains(fs.calls(.write) - writesBefore))
        #expect(fs.calls(.sync) - syncsBefore == 1)
        for n in needles { #expect(try v.read(key: n.key, cookie: n.cookie) == n.data) }
        #expect(throws: StorageError.badBatch) { try v.appendAndWait([]) }
    }

    @Test func needleMaxSizeIsASetting() throws {
        let dir = TempDir("volume-maxsize")
        defer { dir.remove() }
        var settings = VolumeSettings()
        settings.needleMaxSize = 1000
        let v = try makeVolume(dir, fs: PosixFileSystem(), settings: settings)
        defer { v.close() }
        #expect(throws: StorageError.needleTooLarge(size: 1001)) { try v.appendAndWait(key: 1, cookie: 1, data: payload(1, 0, size: 1001)) }
        try v.appendAndWait(key: 1, cookie: 1, data: payload(1, 0, size: 1000))
    }

    @Test func concurrentAppendsShareSyncs() throws {
        let dir = TempDir("volume-group")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        let v = try makeVolume(dir, fs: fs)
        defer { v.close() }
        let syncsBefore = fs.calls(.sync)
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 16) { t in
            for i in 0..<25 {
                let key = Int64(t * 1000 + i)
                do { try v.appendAndWait(key: key, cookie: 1, data: payload(key, 0, size: 300)) } catch {
                    failures.add(1, ordering: .relaxed)
                }
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
        for t in 0..<16 { for i in 0..<25 {
            let key = Int64(t * 1000 + i)
            #expect(try v.read(key: key, cookie: 1) == payload(key, 0, size: 300))
        } }
        // Each sync covered at least one append; with 2 cores and 16 writers most cover several.
        #expect(fs.calls(.sync) - syncsBefore <= 400)
        #expect(v.info.liveCount == 400)
    }

    @Test func nonDurableModeSkipsSyncOnAppend() throws {
        let dir = TempDir("volume-nondurable")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        var settings = VolumeSettings()
        settings.durableWrites = false
        let v = try makeVolume(dir, fs: fs, settings: settings)
        defer { v.close() }
        let syncsBefore = fs.calls(.sync)
        for k in 1...10 { try v.appendAndWait(key: Int64(k), cookie: 1, data: [1, 2, 3]) }
        #expect(fs.calls(.sync) == syncsBefore)
        #expect(try v.read(key: 10, cookie: 1) == [1, 2, 3])
    }

    @Test func writeErrorIsReportedAndTheNextAppendReusesTheTail() throws {
        let dir = TempDir("volume-enospc")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        let v = try makeVolume(dir, fs: fs)
        defer { v.close() }
        fs.failNext(.write, errno: ENOSPC)
        #expect(throws: StorageError.io(operation: "injected write", errno: ENOSPC)) {
            try v.appendAndWait(key: 1, cookie: 1, data: [9])
        }
        let loc = try v.appendAndWait(key: 2, cookie: 1, data: [8])
        #expect(loc.offsetUnits == 1)
        #expect(v.readOutcome(key: 1, cookie: 1) == .failure(.needleNotFound))
    }

    @Test func failedSyncStopsTheVolume() throws {
        let dir = TempDir("volume-eio")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        let v = try makeVolume(dir, fs: fs)
        defer { v.close() }
        try v.appendAndWait(key: 1, cookie: 1, data: [1])
        fs.failNext(.sync, errno: EIO)
        #expect(throws: StorageError.io(operation: "injected sync", errno: EIO)) {
            try v.appendAndWait(key: 2, cookie: 1, data: [2])
        }
        #expect(v.readOutcome(key: 2, cookie: 1) == .failure(.needleNotFound))
        #expect(throws: StorageError.volumeFailed) { try v.appendAndWait(key: 3, cookie: 1, data: [3]) }
        #expect(v.info.failed)
        #expect(try v.read(key: 1, cookie: 1) == [1])
    }

    @Test func closedVolumeRefusesWorkButExtentsStayReadable() throws {
        let dir = TempDir("volume-close")
        defer { dir.remove() }
        let v = try makeVolume(dir, fs: PosixFileSystem())
        try v.appendAndWait(key: 1, cookie: 1, data: payload(1, 0, size: 64))
        let extent = try v.locate(key: 1, cookie: 1)
        v.close()
        #expect(throws: StorageError.volumeClosed) { try v.appendAndWait(key: 2, cookie: 1, data: [1]) }
        #expect(v.readOutcome(key: 1, cookie: 1) == .failure(.volumeClosed))
        // The lease keeps the descriptor open for an in-flight sendfile.
        #expect(try extent.readVerified() == payload(1, 0, size: 64))
    }
}
