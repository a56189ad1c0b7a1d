import BFSTestSupport
import Foundation
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
}
