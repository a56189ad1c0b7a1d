import BFSTestSupport
import Dispatch
import Synchronization
import Testing
@testable import BFSStorage

@Suite struct SyncObserverTests {
    /// Every acknowledged write is counted in exactly one observed batch, and concurrent writers
    /// share syncs (fewer batches than writes is not guaranteed on a quiet machine, so only the
    /// total is asserted).
    @Test func batchesCoverEveryWrite() throws {
        let dir = TempDir("sync-observer")
        defer { dir.remove() }
        let observed = Mutex<[Int]>([])
        var settings = VolumeSettings()
        settings.syncObserver = SyncObserver { n in observed.withLock { $0.append(n) } }
        let v = try makeVolume(dir, fs: PosixFileSystem(), settings: settings)
        DispatchQueue.concurrentPerform(iterations: 64) { i in
            _ = try? v.appendAndWait(key: Int64(i + 1), cookie: 1, data: [UInt8](repeating: 7, count: 100))
        }
        try v.deleteAndWait(key: 1)
        v.close()
        let batches = observed.withLock { $0 }
        #expect(batches.reduce(0, +) == 65)
        #expect(batches.allSatisfy { $0 > 0 })
    }
}
