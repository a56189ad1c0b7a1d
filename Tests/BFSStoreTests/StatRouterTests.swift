import BFSTestSupport
import BFSCore
import BFSHTTP
import BFSStorage
import Dispatch
import Foundation
import Testing
@testable import BFSStore

@Suite struct StatRouterTests {
    /// The fields pitchfork and ops read, with the values the volumes hold.
    @Test func infoCarriesWhatPitchforkReads() throws {
        let store = try AdminTestStore("info")
        defer { store.stop() }
        try store.addVolume(9)
        try store.addVolume(2)
        let data = store.dir.file("data")
        #expect(try store.postJSON("/add_free_volume", ["n": "1", "bdir": data, "idir": data])["succeed"] as? Int == 1)
        let v2 = try #require(store.volumes.volume(2))
        try v2.appendAndWait(key: 1, cookie: 1, data: Array(repeating: 7, count: 1000))
        try v2.appendAndWait(key: 2, cookie: 1, data: Array(repeating: 8, count: 10))
        try v2.deleteAndWait(key: 2)
        store.context.stats(of: 2).didWrite(count: 2, bytes: 1010, nanos: 4_000)
        store.context.stats.didWrite(count: 2, bytes: 1010, nanos: 4_000)

        let r = try store.get(admin: false, "/info")
        #expect(r.status == .ok)
        #expect(r.head.header("Content-Type") == "application/json;charset=utf-8")
        let info = try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any] ?? [:]
        #expect(info["ret"] as? Int == 1)
        let volumes = info["volumes"] as? [[String: Any]] ?? []
        #expect(volumes.map { $0["id"] as? Int } == [2, 9])
        let first = try #require(volumes.first)
        let block = first["block"] as? [String: Any] ?? [:]
        #expect(block["offset"] as? Int == Int(v2.info.durableEnd / 8))
        #expect(block["size"] as? Int == Int(v2.info.durableEnd))
        #expect(block["padding"] as? Int == 8)
        #expect(block.keys.contains("last_err"))
        #expect(block["last_err"] is NSNull)
        #expect(block["file"] as? String == v2.blockPath)
        let stats = first["stats"] as? [String: Any] ?? [:]
        #expect(stats["total_write_processed"] as? Int == 2)
        #expect(stats["total_write_delay"] as? Int == 4_000)
        #expect(first["needles"] as? Int == 1)
        #expect(first["deleted"] as? Int == 1)
        #expect(first["compact"] as? Bool == false)
        let index = first["index"] as? [String: Any] ?? [:]
        #expect(index["file"] as? String == v2.indexPath)
        #expect((info["free_volumes"] as? [Any])?.count == 1)
        #expect((info["failed_volumes"] as? [Any])?.count == 0)
        let server = info["server"] as? [String: Any] ?? [:]
        #expect((server["stats"] as? [String: Any])?["total_write_processed"] as? Int == 2)
        #expect(adminText(server["start_time"]).hasSuffix("Z"))
        #expect(try store.send(HTTPClientRequest(method: "POST", host: "127.0.0.1", port: store.statPort, target: "/info")).status == .methodNotAllowed)
    }

    @Test func infoListsVolumesThatFailedToOpen() throws {
        let dir = TempDir("info-failed")
        defer { dir.remove() }
        let list = dir.file("volume.idx")
        try "\(dir.file("gone")),\(dir.file("gone.idx")),4\n".write(toFile: list, atomically: true, encoding: .utf8)
        let volumes = try StoreVolumes(fileSystem: PosixFileSystem(), volumeListPath: list, freeListPath: dir.file("free.idx"))
        var settings = StoreSettings()
        settings.dataDir = dir.path
        let context = StoreContext(settings: settings, volumes: volumes, events: AdminRecordingEvents())
        let json = try StatInfo.render(context, rates: StatRates())
        let info = try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] ?? [:]
        let failed = info["failed_volumes"] as? [[String: Any]] ?? []
        #expect(failed.first?["id"] as? Int == 4)
        #expect(failed.first?["block"] as? String == dir.file("gone"))
        let error = adminText(failed.first?["error"])
        #expect(error.contains("ret 65535"))
        #expect((info["volumes"] as? [Any])?.isEmpty == true)
    }

    /// What ops needs to add free volumes without being told each store's layout.
    @Test func infoNamesDataDirectoriesAndFreeVolumeSize() throws {
        let dir = TempDir("info-dirs")
        defer { dir.remove() }
        let volumes = try StoreVolumes(fileSystem: PosixFileSystem(), volumeListPath: dir.file("volume.idx"), freeListPath: dir.file("free.idx"))
        var settings = StoreSettings()
        settings.dataDir = dir.file("a")
        settings.dataDirs = [dir.file("b")]
        settings.freeVolumeSize = 64 << 20
        let context = StoreContext(settings: settings, volumes: volumes, events: AdminRecordingEvents())
        let info = try JSONSerialization.jsonObject(with: Data(try StatInfo.render(context, rates: StatRates()))) as? [String: Any] ?? [:]
        #expect(info["data_dirs"] as? [String] == [dir.file("a"), dir.file("b")])
        #expect(info["free_volume_size"] as? Int == 64 << 20)
    }

    @Test func ratesComeFromTheBaseline() throws {
        let dir = TempDir("rates")
        defer { dir.remove() }
        let volumes = try StoreVolumes(fileSystem: PosixFileSystem(), volumeListPath: dir.file("v.idx"), freeListPath: dir.file("f.idx"))
        let context = StoreContext(settings: StoreSettings(), volumes: volumes, events: AdminRecordingEvents())
        let rates = StatRates()
        _ = rates.snapshots(context, ids: [])
        // Pretend the baseline was taken two seconds ago.
        rates.baseline.withLock { $0.nanos -= 2_000_000_000 }
        context.stats.didWrite(count: 10, bytes: 100, nanos: 1)
        let (store, _) = rates.snapshots(context, ids: [])
        #expect(store.writeTPS >= 4 && store.writeTPS <= 5)
        #expect(store.totalWriteProcessed == 10)
    }

    @Test func metricsHaveEndpointAndVolumeSeries() throws {
        let store = try AdminTestStore("metrics")
        defer { store.stop() }
        try store.addVolume(6)
        let volume = try #require(store.volumes.volume(6))
        try volume.appendAndWait(key: 3, cookie: 3, data: Array(repeating: 1, count: 64))
        #expect(try store.get("/probe?vid=6").status == .ok)
        let r = try store.get(admin: false, "/metrics")
        #expect(r.status == .ok)
        #expect(r.head.header("Content-Type") == "text/plain; version=0.0.4")
        let text = r.text
        #expect(text.contains(#"bfs_store_requests_total{endpoint="probe",status="2xx"} 1"#))
        #expect(text.contains(#"bfs_store_requests_total{endpoint="add_volume",status="2xx"} 1"#))
        #expect(text.contains(#"bfs_store_volume_needles{vid="6"} 1"#))
        #expect(text.contains(#"bfs_store_volume_size_bytes{vid="6"} \#(volume.info.durableEnd)"#))
    }
}

@Suite struct StatJobFormatTests {
    /// The `/info` additions `loads` and `compactions`, byte for byte.
    @Test func jobJSONIsStable() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let load = AdminJobs.Load(id: 7, from: "10.0.0.2:6063", state: .running, done: 100, total: 4096, error: nil)
        #expect(String(decoding: try encoder.encode(load), as: UTF8.self)
            == #"{"done":100,"from":"10.0.0.2:6063","id":7,"state":"running","total":4096}"#)
        let compaction = AdminJobs.Compaction(id: 3, state: .failed, startNanos: 5, elapsedNanos: 6, bytesBefore: 80, bytesAfter: 0,
                                              error: "compacting")
        #expect(String(decoding: try encoder.encode(compaction), as: UTF8.self)
            == #"{"bytes_after":0,"bytes_before":80,"elapsed":6,"error":"compacting","id":3,"start_time":5,"state":"failed"}"#)
    }

    /// While a compaction copies, `/info` shows it with its progress.
    @Test func infoShowsARunningCompaction() throws {
        let store = try AdminTestStore("info-compact")
        defer { store.stop() }
        try store.addVolume(5)
        let volume = try #require(store.volumes.volume(5))
        for key in Int64(1)...30 { try volume.appendAndWait(key: key, cookie: 1, data: adminPayload(seed: UInt64(key), size: 2000)) }
        let paused = DispatchSemaphore(value: 0), resume = DispatchSemaphore(value: 0), finished = DispatchSemaphore(value: 0)
        let worker = Thread {
            _ = try? store.volumes.compactVolume(5) { step in
                if step == .copied {
                    paused.signal()
                    resume.wait()
                }
            }
            finished.signal()
        }
        worker.start()
        paused.wait()
        let info = try store.info()
        resume.signal()
        finished.wait()
        let v = try #require((info["volumes"] as? [[String: Any]])?.first)
        #expect(v["compact"] as? Bool == true)
        let progress = v["compact_progress"] as? [String: Any] ?? [:]
        let total = progress["total"] as? Int ?? 0
        #expect(total >= 30 * 2000)
        #expect(progress["done"] as? Int == total)
        #expect(v["compact_offset"] as? Int == total / 8)
    }
}
