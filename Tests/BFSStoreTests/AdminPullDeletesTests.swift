import BFSCore
import BFSHTTP
import BFSStorage
import Foundation
import Synchronization
import Testing
@testable import BFSStore

/// A pulled copy does not resurrect deletes the peer made while it was copied.
@Suite struct AdminPullDeletesTests {
    @Test func deleteOnThePeerDuringThePullIsCarriedOver() throws {
        let source = try AdminTestStore("pull-del-src")
        defer { source.stop() }
        let target = try AdminTestStore("pull-del-dst")
        defer { target.stop() }
        target.events.register(source)
        try source.addVolume(7)
        let volume = try #require(source.volumes.volume(7))
        for key in Int64(1)...30 { try volume.appendAndWait(key: key, cookie: 1, data: adminPayload(seed: UInt64(key), size: 3000)) }
        try volume.deleteAndWait(key: 3)
        // Runs once the copy is complete on the target: these deletes are newer than the
        // snapshot, and their flag bytes lie in ranges already copied.
        target.context.jobs.pullWillCatchUp.withLock { hook in
            hook = { _ in
                try? volume.deleteAndWait(key: 5)
                try? volume.deleteAndWait(key: 20)
            }
        }
        #expect(try target.postJSON("/bulk_volume", ["vid": "7", "from": "127.0.0.1:\(source.adminPort)"])["ret"] as? Int == 1)
        let job = try target.waitForJob("loads", id: 7)
        #expect(job["state"] as? String == "done")
        #expect(throws: StorageError.needleDeleted) { try volume.read(key: 20, cookie: 1) }
        let copy = try #require(target.volumes.volume(7))
        for key in Int64(1)...30 {
            if [3, 5, 20].contains(key) {
                #expect(throws: StorageError.needleDeleted, "key \(key)") { try copy.read(key: key, cookie: 1) }
            } else {
                #expect(try copy.read(key: key, cookie: 1) == adminPayload(seed: UInt64(key), size: 3000))
            }
        }
        // The deletes are on the copy's disk, not only in its map.
        target.volumes.close()
        let reopened = try Volume(id: 7, blockPath: copy.blockPath, indexPath: copy.indexPath, fileSystem: PosixFileSystem())
        defer { reopened.close() }
        #expect(throws: StorageError.needleDeleted) { try reopened.read(key: 5, cookie: 1) }
        #expect(throws: StorageError.needleDeleted) { try reopened.read(key: 20, cookie: 1) }
    }

    /// A compaction on the peer drops its deleted needles from the map, so a delete made after
    /// the snapshot and compacted away before the catch-up is in no `/volume_deletes` answer: the
    /// pull must fail rather than register a copy on which that key is live.
    @Test func peerCompactionDuringThePullFailsThePull() throws {
        let source = try AdminTestStore("pull-compact-src")
        defer { source.stop() }
        let target = try AdminTestStore("pull-compact-dst")
        defer { target.stop() }
        target.events.register(source)
        try source.addVolume(7)
        let volume = try #require(source.volumes.volume(7))
        for key in Int64(1)...30 { try volume.appendAndWait(key: key, cookie: 1, data: adminPayload(seed: UInt64(key), size: 3000)) }
        let armed = Mutex(true)
        target.context.jobs.pullWillCatchUp.withLock { hook in
            hook = { _ in
                guard armed.withLock({ a in defer { a = false }; return a }) else { return }
                try? volume.deleteAndWait(key: 5)
                _ = try? source.volumes.compactVolume(7)
            }
        }
        #expect(try target.postJSON("/bulk_volume", ["vid": "7", "from": "127.0.0.1:\(source.adminPort)"])["ret"] as? Int == 1)
        let failed = try target.waitForJob("loads", id: 7)
        #expect(failed["state"] as? String == "failed")
        #expect(adminText(failed["error"]).contains("compacted"))
        #expect(target.volumes.volume(7) == nil)

        // Pulled again, after the compaction: the delete is in the copy.
        #expect(try target.postJSON("/bulk_volume", ["vid": "7", "from": "127.0.0.1:\(source.adminPort)"])["ret"] as? Int == 1)
        #expect(try target.waitForJob("loads", id: 7)["state"] as? String == "done")
        let copy = try #require(target.volumes.volume(7))
        // Compaction left key 5 out of the peer's volume, so the copy has no needle for it.
        #expect(throws: StorageError.needleNotFound) { try copy.read(key: 5, cookie: 1) }
        #expect(try copy.read(key: 6, cookie: 1) == adminPayload(seed: 6, size: 3000))
    }

    @Test func volumeDeletesAnswerIsSortedBigEndianKeys() throws {
        let store = try AdminTestStore("deletes-wire")
        defer { store.stop() }
        try store.addVolume(2)
        let volume = try #require(store.volumes.volume(2))
        for key: Int64 in [258, 3, 1 << 40] { try volume.appendAndWait(key: key, cookie: 1, data: [1]) }
        try volume.deleteAndWait(key: 258)
        try volume.deleteAndWait(key: 3)
        let answer = try store.get("/volume_deletes?vid=2")
        #expect(answer.status == .ok)
        #expect(answer.body == [0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 1, 2])
        #expect(AdminVolumeExport.decodeKeys(answer.body) == [3, 258])
        #expect(AdminVolumeExport.decodeKeys([0, 1, 2]) == nil)
        #expect(AdminVolumeExport.encodeKeys([-1]) == [UInt8](repeating: 0xFF, count: 8))
        #expect(try store.get("/volume_deletes?vid=9").status == .notFound)
        #expect(try store.get("/volume_deletes?vid=x").status == .badRequest)
        #expect(try store.get("/volume_deletes?vid=2&generation=\(volume.generation)").body == answer.body)
        #expect(try store.get("/volume_deletes?vid=2&generation=\(volume.generation &+ 1)").status == .conflict)
        #expect(try store.get("/volume_deletes?vid=2&generation=x").status == .badRequest)
    }
}

/// `from=` names only stores registered in the cluster.
@Suite struct AdminPullPeerTests {
    /// The admin address is read from the store JSON as bfs and this store write it.
    @Test func adminAddressOfAStoreJSON() {
        let json = #"{"stat":"10.0.0.1:6061","admin":"10.0.0.1:6063","api":"10.0.0.1:6062","id":"s-1","rack":"r1","status":0}"#
        #expect(AdminAddressReader.admin(Array(json.utf8)) == "10.0.0.1:6063")
        #expect(AdminAddressReader.admin(Array(#"{"admin":""}"#.utf8)) == nil)
        #expect(AdminAddressReader.admin(Array("not json".utf8)) == nil)
        #expect(AdminAddressReader.admin([]) == nil)
    }

    @Test func pullFromAnUnregisteredStoreIsRefused() throws {
        let source = try AdminTestStore("peer-src")
        defer { source.stop() }
        let target = try AdminTestStore("peer-dst")
        defer { target.stop() }
        try source.addVolume(6)
        let from = "127.0.0.1:\(source.adminPort)"
        let refused = try target.postJSON("/bulk_volume", ["vid": "6", "from": from])
        #expect(refused["ret"] as? Int == 65534)
        #expect(adminText(refused["error"]) == "from=\(from) is not a store registered in the cluster")
        #expect((try target.info()["loads"] as? [[String: Any]] ?? []).isEmpty)
        #expect(source.context.jobs.snapshotCount == 0)

        // Coordination that cannot be read refuses too, as a server fault.
        target.events.peers.withLock { $0 = nil }
        #expect(try target.postJSON("/bulk_volume", ["vid": "6", "from": from])["ret"] as? Int == 65535)

        target.events.peers.withLock { $0 = ["127.0.0.1:\(source.adminPort)"] }
        #expect(try target.postJSON("/bulk_volume", ["vid": "6", "from": from])["ret"] as? Int == 1)
        #expect(try target.waitForJob("loads", id: 6)["state"] as? String == "done")
    }
}
