import BFSTestSupport
import Foundation
import Glibc
import Testing
@testable import BFSStorage

/// `Volume.submit`: the loop's non-blocking hand-off to the append thread.
@Suite struct VolumeSubmitTests {
    private func batch(key: Int64, data: [UInt8]) -> NeedleBatch {
        NeedleBatch([NeedleInput(key: key, cookie: 1, data: data)])
    }

    @Test func submittedNeedlesAreDurableAndReadable() throws {
        let dir = TempDir("volume-submit")
        defer { dir.remove() }
        let v = try makeVolume(dir, fs: PosixFileSystem())
        defer { v.close() }
        let boxes = (1...50).map { _ in ResultBox<[NeedleLocation]>() }
        for (i, box) in boxes.enumerated() {
            #expect(v.submit(batch(key: Int64(i + 1), data: payload(Int64(i + 1), 0, size: 100 * i))) { box.set($0) })
        }
        for box in boxes { #expect(try box.wait().count == 1) }
        for i in 0..<50 { #expect(try v.read(key: Int64(i + 1), cookie: 1) == payload(Int64(i + 1), 0, size: 100 * i)) }
        #expect(v.info.liveCount == 50)
    }

    /// While the append thread waits for the append lock, submissions queue up to the limit; the
    /// next is refused without its completion running; once the lock is free everything queued
    /// is appended.
    @Test func fullInboxRefusesAndDrainsAfterwards() throws {
        let dir = TempDir("volume-submit-full")
        defer { dir.remove() }
        let v = try makeVolume(dir, fs: PosixFileSystem())
        defer { v.close() }
        let held = Gate(), release = Gate()
        let holder = Thread {
            v.appender.withLock { _ in
                held.open()
                _ = release.wait(seconds: 30)
            }
        }
        holder.start()
        #expect(held.wait())
        let first = ResultBox<[NeedleLocation]>()
        #expect(v.submit(batch(key: 1, data: [1])) { first.set($0) })
        // The thread took the first one and now waits for the lock.
        #expect(waitUntil { v.inbox.update(wake: .none) { $0.items.isEmpty } })
        let boxes = (0..<Volume.submitQueueLimit).map { _ in ResultBox<[NeedleLocation]>() }
        for (i, box) in boxes.enumerated() {
            #expect(v.submit(batch(key: Int64(i + 2), data: [2])) { box.set($0) })
        }
        let refused = Locked(false)
        #expect(!v.submit(batch(key: 99_999, data: [3])) { _ in refused.with { $0 = true } })
        release.open()
        #expect(try first.wait().count == 1)
        for box in boxes { #expect(try box.wait().count == 1) }
        #expect(!refused.get)
        #expect(v.info.liveCount == Volume.submitQueueLimit + 1)
        #expect(v.readOutcome(key: 99_999, cookie: 1) == .failure(.needleNotFound))
    }

    @Test func submitAfterCloseFailsClosed() throws {
        let dir = TempDir("volume-submit-closed")
        defer { dir.remove() }
        let v = try makeVolume(dir, fs: PosixFileSystem())
        let before = ResultBox<[NeedleLocation]>()
        #expect(v.submit(batch(key: 1, data: [1])) { before.set($0) })
        #expect(try before.wait().count == 1)
        v.close()
        let after = ResultBox<[NeedleLocation]>()
        #expect(v.submit(batch(key: 2, data: [2])) { after.set($0) })
        #expect(throws: StorageError.volumeClosed) { try after.wait() }
    }

    /// Uploads taken together are written with one gathered write, back to back, each its own
    /// job; a malformed one fails alone.
    @Test func appendsTakenTogetherAreWrittenBackToBack() throws {
        let dir = TempDir("volume-submit-together")
        defer { dir.remove() }
        let v = try makeVolume(dir, fs: PosixFileSystem())
        defer { v.close() }
        var headless = NeedleBatch()
        headless.begin()
        headless.end()
        let batches = [batch(key: 1, data: payload(1, 0, size: 3000)), headless,
                       NeedleBatch([NeedleInput(key: 2, cookie: 1, data: [7]), NeedleInput(key: 3, cookie: 1, data: payload(3, 0, size: 9))]),
                       batch(key: 4, data: [])]
        let boxes = batches.map { _ in ResultBox<[NeedleLocation]>() }
        v.appendTogether(zip(batches, boxes).map { b, box in AppendInbox.Item(batch: b, completion: { box.set($0) }) })
        #expect(throws: StorageError.badBatch) { try boxes[1].wait() }
        let first = try boxes[0].wait(), second = try boxes[2].wait(), fourth = try boxes[3].wait()
        #expect(first[0].offsetUnits == 1)
        #expect(Int(second[0].offsetUnits) == 1 + NeedleFormat.totalSize(dataSize: 3000) / 8)
        #expect(Int(second[1].offsetUnits) == Int(second[0].offsetUnits) + NeedleFormat.minTotalSize / 8)
        #expect(Int(fourth[0].offsetUnits) == Int(second[1].offsetUnits) + NeedleFormat.totalSize(dataSize: 9) / 8)
        let block = fileBytes(v.blockPath)
        #expect(Array(block[8..<(8 + batches[0].bytes.count)]) == batches[0].bytes)
        #expect(try v.read(key: 1, cookie: 1) == payload(1, 0, size: 3000))
        #expect(try v.read(key: 2, cookie: 1) == [7])
        #expect(try v.read(key: 3, cookie: 1) == payload(3, 0, size: 9))
        #expect(try v.read(key: 4, cookie: 1) == [])
    }

    /// A write that fails part-way through the gathered write fails every upload in it, and
    /// the next append starts where the failed one did; a failed sync fails every upload it covered.
    @Test func failedGatheredWriteOrSyncFailsEveryUploadInIt() throws {
        let dir = TempDir("volume-submit-fail")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        let v = try makeVolume(dir, fs: fs)
        defer { v.close() }
        fs.failNext(.write, nth: 2, errno: EIO)
        let boxes = (0..<3).map { _ in ResultBox<[NeedleLocation]>() }
        v.appendTogether((0..<3).map { i in
            AppendInbox.Item(batch: batch(key: Int64(i + 1), data: [UInt8(i)]), completion: { boxes[i].set($0) })
        })
        for box in boxes { #expect(throws: StorageError.io(operation: "injected write", errno: EIO)) { try box.wait() } }
        #expect(try v.appendAndWait(key: 9, cookie: 1, data: [9]).offsetUnits == 1)
        for key in Int64(1)...3 { #expect(v.readOutcome(key: key, cookie: 1) == .failure(.needleNotFound)) }

        fs.failNext(.sync, errno: EIO)
        let synced = (0..<3).map { _ in ResultBox<[NeedleLocation]>() }
        v.appendTogether((0..<3).map { i in
            AppendInbox.Item(batch: batch(key: Int64(i + 11), data: [UInt8(i)]), completion: { synced[i].set($0) })
        })
        for box in synced { #expect(throws: (any Error).self) { try box.wait() } }
        for key in Int64(11)...13 { #expect(v.readOutcome(key: key, cookie: 1) == .failure(.needleNotFound)) }
    }
}
