import BFSTestSupport
import BFSCore
import BFSHTTP
import BFSStorage
import Foundation
import Testing
@testable import BFSStore

@Suite struct AdminVolumeTests {
    @Test func addFreeVolumeThenAddVolumeTellsCoordination() throws {
        let store = try AdminTestStore("add")
        defer { store.stop() }
        let data = store.dir.file("data")
        #expect(try store.postJSON("/add_free_volume", ["n": "x", "bdir": data, "idir": data])["ret"] as? Int == 65534)
        #expect(try store.postJSON("/add_free_volume", ["n": "2"])["ret"] as? Int == 65534)
        let free = try store.postJSON("/add_free_volume", ["n": "2", "bdir": data, "idir": data])
        #expect(free["ret"] as? Int == 1)
        #expect(free["succeed"] as? Int == 2)
        #expect(store.volumes.freeCount == 2)
        // Parameters from the query work too (Go's FormValue).
        let added = try store.send(HTTPClientRequest(method: "POST", host: "127.0.0.1", port: store.adminPort, target: "/add_volume?vid=5"))
        #expect(added.text == #"{"ret":1}"#)
        let volume = try #require(store.volumes.volume(5))
        #expect(store.events.changes == [.init(id: 5, block: volume.blockPath, index: volume.indexPath)])
        #expect(volume.blockPath == "\(data)/5_0")
        #expect(try store.postJSON("/add_volume", ["vid": "5"])["ret"] as? Int == 8000)
        #expect(try store.postJSON("/add_volume", ["vid": "6"])["ret"] as? Int == 1)
        #expect(try store.postJSON("/add_volume", ["vid": "7"])["ret"] as? Int == 7001)
        #expect(try store.postJSON("/add_volume", ["vid": "seven"])["ret"] as? Int == 65534)
        #expect(try store.get("/add_volume?vid=8").status == .methodNotAllowed)
        #expect(store.events.changes.map(\.id) == [5, 6])
    }

    @Test func addVolumeAnswers65535WhenCoordinationFailsButKeepsTheVolume() throws {
        let store = try AdminTestStore("add-coord", events: AdminRecordingEvents(failure: AdminTestError()))
        defer { store.stop() }
        let data = store.dir.file("data")
        #expect(try store.postJSON("/add_free_volume", ["n": "1", "bdir": data, "idir": data])["succeed"] as? Int == 1)
        #expect(try store.postJSON("/add_volume", ["vid": "2"])["ret"] as? Int == 65535)
        #expect(store.volumes.volume(2) != nil)
    }

    @Test func compactVolumeRunsInTheBackgroundAndKeepsLiveData() throws {
        let events = AdminRecordingEvents(gated: true)
        let store = try AdminTestStore("compact", events: events)
        defer { store.stop() }
        let data = store.dir.file("data")
        #expect(try store.postJSON("/add_free_volume", ["n": "1", "bdir": data, "idir": data])["succeed"] as? Int == 1)
        let addDone = Thread { _ = try? store.postJSON("/add_volume", ["vid": "3"]) }
        addDone.start()
        #expect(waitUntil { !store.events.changes.isEmpty })
        events.open()
        #expect(waitUntil { store.volumes.volume(3) != nil })
        let volume = try #require(store.volumes.volume(3))
        let seed = UInt64.random(in: 1...UInt64.max)
        print("compact test seed \(seed)")
        for key in Int64(1)...60 { try volume.appendAndWait(key: key, cookie: Int32(key), data: adminPayload(seed: seed &+ UInt64(key), size: 3000)) }
        for key in Int64(1)...60 where key % 3 == 0 { try volume.deleteAndWait(key: key) }
        let before = volume.info.durableEnd

        #expect(try store.postJSON("/compact_volume", ["vid": "x"])["ret"] as? Int == 65534)
        #expect(try store.postJSON("/compact_volume", ["vid": "99"])["ret"] as? Int == 8001)
        #expect(try store.postJSON("/compact_volume", ["vid": "3"])["ret"] as? Int == 1)
        // The compaction thread now waits on coordination: the job is still running.
        #expect(waitUntil { store.events.changes.count >= 2 })
        #expect(try store.postJSON("/compact_volume", ["vid": "3"])["ret"] as? Int == 8003)
        let running = try store.info()["compactions"] as? [[String: Any]] ?? []
        #expect(running.first?["state"] as? String == "running")
        events.open()
        let job = try store.waitForJob("compactions", id: 3)
        #expect(job["state"] as? String == "done")
        #expect((job["bytes_before"] as? Int).map(Int64.init) == before)
        #expect((job["bytes_after"] as? Int ?? Int.max) < Int(before))
        #expect(store.events.changes.last == .init(id: 3, block: volume.blockPath, index: volume.indexPath))
        #expect(volume.blockPath == "\(data)/3_1")
        for key in Int64(1)...60 {
            let read = Result { try volume.read(key: key, cookie: Int32(key)) }
            if key % 3 == 0 {
                #expect(throws: StorageError.needleNotFound) { try read.get() }
            } else {
                #expect(try read.get() == adminPayload(seed: seed &+ UInt64(key), size: 3000))
            }
        }
        let infoVolume = (try store.info()["volumes"] as? [[String: Any]])?.first
        #expect(infoVolume?["compact"] as? Bool == false)
        #expect((infoVolume?["compact_time"] as? Int ?? 0) > 0)
        #expect(store.context.stats.snapshot(previous: nil, seconds: 0).totalCompactProcessed == 1)
    }

    @Test func bulkVolumeOpensLocalFiles() throws {
        let store = try AdminTestStore("bulk")
        defer { store.stop() }
        // A replica's files, as an operator would have copied them.
        let block = store.dir.file("copy_block"), index = store.dir.file("copy_block.idx")
        try VolumeFiles.create(blockPath: block, indexPath: index, fileSystem: PosixFileSystem(), preallocation: 0)
        let source = try Volume(id: 8, blockPath: block, indexPath: index, fileSystem: PosixFileSystem())
        for key in Int64(1)...20 { try source.appendAndWait(key: key, cookie: 9, data: adminPayload(seed: UInt64(key), size: 100)) }
        try source.deleteAndWait(key: 4)
        source.close()

        #expect(try store.postJSON("/bulk_volume", ["vid": "8"])["ret"] as? Int == 65534)
        #expect(try store.postJSON("/bulk_volume", ["vid": "8", "bfile": block])["ret"] as? Int == 65534)
        #expect(try store.postJSON("/bulk_volume", ["vid": "8", "from": "nohost"])["ret"] as? Int == 65534)
        #expect(try store.postJSON("/bulk_volume", ["vid": "8", "bfile": block, "ifile": index])["ret"] as? Int == 1)
        let job = try store.waitForJob("loads", id: 8)
        #expect(job["state"] as? String == "done")
        #expect(job["from"] as? String == "local")
        let volume = try #require(store.volumes.volume(8))
        #expect(try volume.read(key: 7, cookie: 9) == adminPayload(seed: 7, size: 100))
        #expect(throws: StorageError.needleDeleted) { try volume.read(key: 4, cookie: 9) }
        #expect(store.events.changes == [.init(id: 8, block: block, index: index)])
        #expect(try store.postJSON("/bulk_volume", ["vid": "8", "bfile": block, "ifile": index])["ret"] as? Int == 8000)
        // Listed in the volume list, so a restart opens it.
        let list = try String(contentsOfFile: store.context.settings.volumeIndex, encoding: .utf8)
        #expect(list.contains("\(block),\(index),8"))
    }

    @Test func bulkVolumeOfMissingFilesFailsVisibly() throws {
        let store = try AdminTestStore("bulk-missing")
        defer { store.stop() }
        // Refused at once, with the reason; no load is started.
        let answer = try store.postJSON("/bulk_volume", ["vid": "2", "bfile": store.dir.file("nope"), "ifile": store.dir.file("nope.idx")])
        #expect(answer["ret"] as? Int == 65535)
        #expect(adminText(answer["error"]).contains("No such file"))
        #expect((try store.info()["loads"] as? [[String: Any]] ?? []).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: store.dir.file("nope.idx")))
        #expect(store.volumes.volume(2) == nil)
    }
}
