import BFSTestSupport
import Foundation
import Glibc
import Synchronization
import Testing

/// Real `kill -9` of a store under load, and damaged volumes (DESIGN.md §4.2, §4.3).
@Suite(.serialized) struct StoreCrashTests {
    /// 32 clients upload concurrently; the store is killed mid-flight. After a restart every
    /// upload that was answered `{"ret":1}` reads back byte-identical.
    @Test func killDuringConcurrentUploadsLosesNothingAcknowledged() throws {
        let dir = TempDir()
        let store = try StoreProcess(dir: dir, zookeeper: nil)
        try store.start()
        try store.provision(vid: 1)
        let acknowledged = Mutex<[Int64: [UInt8]]>([:])
        let stop = Atomic<Bool>(false)
        let threads = (0..<32).map { t in
            Thread {
                var i: Int64 = 0
                while !stop.load(ordering: .relaxed) {
                    let key = Int64(t) * 1_000_000 + i
                    let data = payload(seed: UInt64(key), size: 2000 + Int(key % 7000))
                    if let r = try? store.upload(vid: 1, key: key, cookie: 5, data: data), r.ret == 1 {
                        acknowledged.withLock { $0[key] = data }
                    }
                    i += 1
                }
            }
        }
        for t in threads { t.start() }
        _ = waitUntil(seconds: 20, pollMilliseconds: 20) { acknowledged.withLock { $0.count } >= 300 }
        store.crash()
        stop.store(true, ordering: .relaxed)
        usleep(500_000)
        let acked = acknowledged.withLock { $0 }
        #expect(acked.count >= 300, "too few uploads before the crash")
        try store.start()
        var lost = 0
        for (key, data) in acked {
            let r = try store.get(vid: 1, key: key, cookie: 5)
            if r.status != 200 || r.body != data { lost += 1 }
        }
        #expect(lost == 0, "\(lost) of \(acked.count) acknowledged uploads lost or altered")
    }

    /// A corrupt needle in the middle of a volume's unindexed tail: the volume opens, reports
    /// the damage, and serves every other needle (bfs refused to start).
    @Test func corruptNeedleIsSkippedAndTheRestServed() throws {
        let dir = TempDir()
        let store = try StoreProcess(dir: dir, zookeeper: nil)
        try store.start()
        try store.provision(vid: 1)
        let files = (0..<3).map { payload(seed: 70 + UInt64($0), size: 1000) }
        for (i, f) in files.enumerated() {
            #expect(try store.upload(vid: 1, key: Int64(i + 1), cookie: 3, data: f).ret == 1)
        }
        #expect(store.terminate() == 0)
        let block = "\(store.dataDir)/1_0", index = "\(store.dataDir)/1_0.idx"
        // Drop the index hint so recovery scans the whole block, then flip a data byte of the
        // second needle (needles are 8 + 1032 bytes apart: header 21 + 1000 + footer 8, padded).
        #expect(truncate(index, 0) == 0)
        let fd = open(block, O_RDWR)
        var byte: UInt8 = 0
        let at = off_t(8 + 1032 + 21 + 10)
        pread(fd, &byte, 1, at)
        byte ^= 0xFF
        pwrite(fd, &byte, 1, at)
        close(fd)
        try store.start()
        #expect(try store.get(vid: 1, key: 1, cookie: 3).body == files[0])
        #expect(try store.get(vid: 1, key: 3, cookie: 3).body == files[2])
        #expect(try store.get(vid: 1, key: 2, cookie: 3).status != 200)
        let info = try store.statClient.get("/info").json
        let volumes = info["volumes"] as? [[String: Any]] ?? []
        #expect((volumes.first?["damaged"] as? NSNumber)?.intValue == 1)
    }

    /// `bulk_volume from=` rebuilds a replica from a peer store of the same cluster over HTTP;
    /// an address no store of the cluster published is refused.
    @Test func volumePulledFromAPeerServesTheSameNeedles() async throws {
        let zk = try await ZooKeeperServer.start()
        defer { zk.stop() }
        let dir = TempDir()
        let a = try StoreProcess(dir: dir, id: "store-a", zookeeper: zk.hosts)
        let b = try StoreProcess(dir: dir, id: "store-b", zookeeper: zk.hosts)
        let stranger = try StoreProcess(dir: dir, id: "store-x", zookeeper: nil)
        try a.start()
        try b.start()
        try stranger.start()
        let refused = try b.adminClient.postForm("/bulk_volume", [("vid", "4"), ("from", "127.0.0.1:\(stranger.admin)")])
        #expect(refused.ret == 65534, "\(refused.text)")
        #expect(refused.text.contains("not a store registered in the cluster"))
        try a.provision(vid: 4)
        let files = (0..<20).map { payload(seed: 300 + UInt64($0), size: 500 + $0 * 300) }
        for (i, f) in files.enumerated() {
            #expect(try a.upload(vid: 4, key: Int64(i), cookie: 8, data: f).ret == 1)
        }
        #expect(try a.apiClient.postForm("/del", [("vid", "4"), ("key", "3")]).ret == 1)
        let pull = try b.adminClient.postForm("/bulk_volume", [("vid", "4"), ("from", "127.0.0.1:\(a.admin)")])
        #expect(pull.ret == 1, "\(pull.text)")
        let served = waitUntil(seconds: 30, pollMilliseconds: 20) { (try? b.get(vid: 4, key: 19, cookie: 8).status) == 200 }
        #expect(served, "pulled volume never served; log:\n\(b.process?.log.suffix(2000) ?? "")")
        for (i, f) in files.enumerated() where i != 3 {
            #expect(try b.get(vid: 4, key: Int64(i), cookie: 8).body == f)
        }
        #expect(try b.get(vid: 4, key: 3, cookie: 8).status == 404)
    }
}
