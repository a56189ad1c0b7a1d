import BFSTestSupport
import BFSCore
import BFSHTTP
import BFSStorage
import Foundation
import Synchronization
import Testing
@testable import BFSStore

@Suite struct AdminPullTests {
    /// A second store rebuilds a replica from a live peer over HTTP, byte for byte.
    @Test func bulkVolumeFromPeerCopiesEveryNeedle() throws {
        let source = try AdminTestStore("pull-src")
        defer { source.stop() }
        let target = try AdminTestStore("pull-dst")
        defer { target.stop() }
        target.events.register(source)
        try source.addVolume(7)
        let volume = try #require(source.volumes.volume(7))
        let seed = UInt64.random(in: 1...UInt64.max)
        print("pull test seed \(seed)")
        var g = SeededGenerator(seed: seed)
        var sizes: [Int64: Int] = [:]
        // Over 8 MiB in all, so the block comes in more than one range.
        for key in Int64(1)...40 {
            let size = Int(g.next() % 200_000) + 250_000
            sizes[key] = size
            try volume.appendAndWait(key: key, cookie: Int32(key), data: adminPayload(seed: seed &+ UInt64(key), size: size))
        }
        for key in Int64(1)...40 where key % 7 == 0 { try volume.deleteAndWait(key: key) }

        let from = "127.0.0.1:\(source.adminPort)"
        #expect(try target.postJSON("/bulk_volume", ["vid": "7", "from": from])["ret"] as? Int == 1)
        let job = try target.waitForJob("loads", id: 7)
        #expect(job["state"] as? String == "done")
        #expect(job["from"] as? String == from)
        #expect(job["done"] as? Int == job["total"] as? Int)
        #expect((job["total"] as? Int ?? 0) > 8 << 20)
        let copy = try #require(target.volumes.volume(7))
        #expect(copy.info.durableEnd == volume.info.durableEnd)
        for key in Int64(1)...40 {
            if key % 7 == 0 {
                #expect(throws: StorageError.needleDeleted) { try copy.read(key: key, cookie: Int32(key)) }
            } else {
                #expect(try copy.read(key: key, cookie: Int32(key)) == volume.read(key: key, cookie: Int32(key)))
            }
        }
        #expect(copy.blockPath == target.dir.file("data/7_0"))
        #expect(target.events.changes == [.init(id: 7, block: copy.blockPath, index: copy.indexPath)])
        // The pull released its snapshot on the peer.
        #expect(source.context.jobs.snapshotCount == 0)
        // A second pull of the same vid is refused up front.
        #expect(try target.postJSON("/bulk_volume", ["vid": "7", "from": from])["ret"] as? Int == 8000)
    }

    /// Writes and deletes go on at the peer during the pull: the copy holds everything written
    /// before it started, opens without damage, and whatever else it holds matches the peer.
    @Test func pullFromAVolumeBeingWritten() throws {
        let source = try AdminTestStore("pull-live-src")
        defer { source.stop() }
        let target = try AdminTestStore("pull-live-dst")
        defer { target.stop() }
        target.events.register(source)
        try source.addVolume(4)
        let volume = try #require(source.volumes.volume(4))
        for key in Int64(1)...20 { try volume.appendAndWait(key: key, cookie: 1, data: adminPayload(seed: UInt64(key), size: 600_000)) }
        let stop = Mutex(false)
        let acknowledged = Atomic<Int64>(999)
        let writer = Thread {
            var key: Int64 = 1000
            while !stop.withLock({ $0 }) {
                if (try? volume.appendAndWait(key: key, cookie: 1, data: adminPayload(seed: UInt64(key), size: 5000))) != nil {
                    acknowledged.store(key, ordering: .sequentiallyConsistent)
                }
                if key % 4 == 0 { try? volume.deleteAndWait(key: key - 1) }
                key += 1
            }
        }
        writer.start()
        #expect(waitUntil(seconds: 60) { acknowledged.load(ordering: .sequentiallyConsistent) >= 1005 })
        let before = acknowledged.load(ordering: .sequentiallyConsistent)
        #expect(try target.postJSON("/bulk_volume", ["vid": "4", "from": "127.0.0.1:\(source.adminPort)"])["ret"] as? Int == 1)
        let job = try target.waitForJob("loads", id: 4)
        stop.withLock { $0 = true }
        #expect(job["state"] as? String == "done")
        let copy = try #require(target.volumes.volume(4))
        #expect(copy.recoveryReport.damagedCount == 0)
        for key in Int64(1)...20 {
            #expect(try copy.read(key: key, cookie: 1) == adminPayload(seed: UInt64(key), size: 600_000))
        }
        var extra = 0
        for key in Int64(1000)..<Int64(1000 + copy.info.needleCount) {
            let data = try? copy.read(key: key, cookie: 1)
            // Acknowledged before the pull began and never deleted: must be in the copy.
            if key <= before && key % 4 != 3 { #expect(data != nil, "key \(key)") }
            guard let data else { continue }
            #expect(data == adminPayload(seed: UInt64(key), size: 5000))
            if key > before { extra += 1 }
        }
        print("pulled \(extra) needles written during the pull, \(before - 999) before it")
    }

    @Test func pullOfAVolumeThePeerLacksFails() throws {
        let source = try AdminTestStore("pull-none-src")
        defer { source.stop() }
        let target = try AdminTestStore("pull-none-dst")
        defer { target.stop() }
        target.events.register(source)
        #expect(try target.postJSON("/bulk_volume", ["vid": "3", "from": "127.0.0.1:\(source.adminPort)"])["ret"] as? Int == 1)
        let job = try target.waitForJob("loads", id: 3)
        #expect(job["state"] as? String == "failed")
        #expect(adminText(job["error"]).contains("8001"))
        #expect(target.volumes.volume(3) == nil)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: target.dir.path).filter { $0.hasSuffix(".pull") }
        #expect(leftovers.isEmpty)
    }

    @Test func pullFromAnUnreachablePeerFails() throws {
        let target = try AdminTestStore("pull-dead")
        defer { target.stop() }
        target.events.peers.withLock { $0 = ["127.0.0.1:1"] }
        // Port 1 on loopback: nothing listens there, the connect is refused at once.
        #expect(try target.postJSON("/bulk_volume", ["vid": "5", "from": "127.0.0.1:1"])["ret"] as? Int == 1)
        let job = try target.waitForJob("loads", id: 5)
        #expect(job["state"] as? String == "failed")
        let error = adminText(job["error"])
        #expect(error.contains("connect"))
        #expect(target.volumes.volume(5) == nil)
        // A failed load does not block a retry.
        #expect(try target.postJSON("/bulk_volume", ["vid": "5", "from": "127.0.0.1:1"])["ret"] as? Int == 1)
        _ = try target.waitForJob("loads", id: 5)
    }

    /// The snapshot keeps serving the generation it pinned, even after the volume is compacted.
    @Test func snapshotSurvivesCompaction() throws {
        let store = try AdminTestStore("snapshot")
        defer { store.stop() }
        try store.addVolume(2)
        let volume = try #require(store.volumes.volume(2))
        for key in Int64(1)...10 { try volume.appendAndWait(key: key, cookie: 1, data: adminPayload(seed: UInt64(key), size: 500)) }
        try volume.deleteAndWait(key: 1)
        let taken = try store.postJSON("/volume_snapshot", ["vid": "2"])
        #expect(taken["ret"] as? Int == 1)
        let token = try #require(taken["snapshot"] as? String)
        let size = try #require(taken["block_size"] as? Int)
        #expect(Int64(size) == volume.info.durableEnd)
        #expect(taken["index_size"] as? Int == 160)
        let before = try store.get("/volume_file?snapshot=\(token)&file=block&offset=0&length=\(size)")
        try store.volumes.compactVolume(2)
        try volume.appendAndWait(key: 11, cookie: 1, data: [1, 2, 3])
        let after = try store.get("/volume_file?snapshot=\(token)&file=block&offset=0&length=\(size + 1000)")
        #expect(after.status == .ok)
        #expect(after.body == before.body)
        #expect(after.body.count == size)
        #expect(try store.get("/volume_file?snapshot=\(token)&file=blob&offset=0&length=1").status == .badRequest)
        #expect(try store.get("/volume_file?snapshot=1&file=block&offset=0&length=1").status == .notFound)
        #expect(try store.postJSON("/volume_snapshot", ["vid": "9"])["ret"] as? Int == 8001)
        #expect(try store.postJSON("/volume_snapshot_release", ["snapshot": token])["ret"] as? Int == 1)
        #expect(try store.postJSON("/volume_snapshot_release", ["snapshot": token])["ret"] as? Int == 65534)
    }
}


