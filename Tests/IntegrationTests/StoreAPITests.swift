import BFSTestSupport
import Foundation
import Testing

/// The store's HTTP API through a real `bfs store` process, once with a real ZooKeeper and once
/// with the embedded coordination (DESIGN.md §4.7; reference §1.9).
@Suite(.serialized) struct StoreAPITests {
    enum Backend: String, CaseIterable, CustomTestStringConvertible {
        case embedded, zookeeper
        var testDescription: String { rawValue }
    }

    /// Starts ZooKeeper when the backend needs it; keeps it alive for the test.
    final class Cluster {
        let dir = TempDir()
        let zookeeper: ZooKeeperServer?
        let store: StoreProcess

        init(_ backend: Backend) async throws {
            zookeeper = backend == .zookeeper ? try await ZooKeeperServer.start() : nil
            store = try StoreProcess(dir: dir, zookeeper: zookeeper?.hosts)
            try store.start()
            try store.provision(vid: 1)
        }
    }

    @Test(arguments: Backend.allCases)
    func uploadsReadBackByteIdentical(_ backend: Backend) async throws {
        let c = try await Cluster(backend)
        for (i, size) in [1, 100, 4096, 65536, 1 << 20].enumerated() {
            let data = payload(seed: UInt64(i), size: size)
            let up = try c.store.upload(vid: 1, key: Int64(100 + i), cookie: 77, data: data)
            #expect(up.status == 200 && up.ret == 1, "upload \(size): \(up.text)")
            let got = try c.store.get(vid: 1, key: Int64(100 + i), cookie: 77)
            #expect(got.status == 200)
            #expect(got.body == data, "size \(size)")
            #expect(got.header("Content-Length") == "\(size)")
        }
        #expect(try c.store.get(vid: 1, key: 100, cookie: 78).status == 404, "wrong cookie")
        #expect(try c.store.get(vid: 1, key: 999, cookie: 77).status == 404)
        #expect(try c.store.get(vid: 9, key: 100, cookie: 77).status == 404)
        #expect(try c.store.apiClient.get("/get?vid=x&key=1&cookie=1").status == 400)
    }

    @Test(arguments: Backend.allCases)
    func batchUploadsReadBack(_ backend: Backend) async throws {
        let c = try await Cluster(backend)
        let files = (0..<5).map { payload(seed: 1000 + UInt64($0), size: 3000 + $0 * 777) }
        var fields = [("vid", "1")]
        for i in 0..<5 { fields += [("keys", "\(500 + i)"), ("cookies", "\(9 + i)")] }
        let r = try c.store.apiClient.postMultipart("/uploads", fields: fields, files: files.map { (name: "file", data: $0) })
        #expect(r.ret == 1, "\(r.text)")
        for i in 0..<5 {
            #expect(try c.store.get(vid: 1, key: Int64(500 + i), cookie: Int32(9 + i)).body == files[i])
        }
    }

    @Test(arguments: Backend.allCases)
    func deletesAnswer404After(_ backend: Backend) async throws {
        let c = try await Cluster(backend)
        #expect(try c.store.upload(vid: 1, key: 7, cookie: 1, data: Array("hello".utf8)).ret == 1)
        #expect(try c.store.get(vid: 1, key: 7, cookie: 1).status == 200)
        #expect(try c.store.apiClient.postForm("/del", [("vid", "1"), ("key", "7")]).ret == 1)
        #expect(try c.store.get(vid: 1, key: 7, cookie: 1).status == 404)
        #expect(try c.store.apiClient.postForm("/del", [("vid", "1"), ("key", "7")]).ret == 5010)
        // The delete was durable: it survives a restart.
        c.store.terminate()
        try c.store.start()
        #expect(try c.store.get(vid: 1, key: 7, cookie: 1).status == 404)
    }

    @Test(arguments: Backend.allCases)
    func infoAndMetricsDescribeTheVolume(_ backend: Backend) async throws {
        let c = try await Cluster(backend)
        #expect(try c.store.upload(vid: 1, key: 1, cookie: 1, data: [1, 2, 3]).ret == 1)
        let info = try c.store.statClient.get("/info")
        #expect(info.status == 200)
        let volumes = info.json["volumes"] as? [[String: Any]] ?? []
        #expect(volumes.count == 1)
        #expect((volumes.first?["id"] as? NSNumber)?.intValue == 1)
        let block = volumes.first?["block"] as? [String: Any] ?? [:]
        #expect((block["padding"] as? NSNumber)?.intValue == 8)
        #expect(block.keys.contains("last_err"))
        let metrics = try c.store.statClient.get("/metrics")
        #expect(metrics.text.contains("bfs_store_requests_total"))
    }
}
