import BFSCoordination
import BFSTestSupport
import Foundation
import Testing

/// The real `bfs directory` with a real ZooKeeper and two real `bfs store` processes forming
/// group 1, on SQLite and on PostgreSQL: allocate, write both replicas over the store API,
/// commit, `/get` answers the stores, `/del` removes the needle everywhere (through the reaper).
@Suite(.serialized) struct DirectoryIntegrationTests {
    enum Backend: String, CaseIterable, Sendable { case sqlite, postgres }

    /// What ops and a pitchfork would have written: the group, the volume's replicas and state,
    /// and `Health` in each store's JSON (no pitchfork runs in this test).
    private func prepareCluster(_ zk: ZooKeeperServer, stores: [StoreProcess], vid: Int32) async throws {
        let client = try ZooKeeperCoordination(hosts: zk.hosts, root: "", sessionTimeout: .seconds(4)) { work in work() }
        defer { client.close(completion: nil) }
        for store in stores {
            try await client.ensurePath("/group/1/\(store.id)")
            try await client.ensurePath("/volume/\(vid)/\(store.id)")
            let path = "/rack/\(store.rack)/\(store.id)"
            let json = String(decoding: try await client.get(path).data, as: UTF8.self)
            let health = json.replacingOccurrences(of: #""status":0}"#, with: #""status":2147483651}"#)
            #expect(health != json, "store JSON had no initial status: \(json)")
            _ = try await client.set(path, data: Array(health.utf8))
        }
        let state = #"{"total_write_processed":0,"total_write_delay":0,"free_space":4000000000}"#
        _ = try await client.set("/volume/\(vid)", data: Array(state.utf8))
    }

    @Test(arguments: Backend.allCases)
    func allocateWriteCommitGetDelete(_ backend: Backend) async throws {
        let zk = try await ZooKeeperServer.start()
        defer { zk.stop() }
        let dir = TempDir("directory-it")
        defer { dir.remove() }
        var postgres: PostgresServer?
        var conninfo: String?
        if backend == .postgres {
            let pg = try await PostgresServer.start()
            postgres = pg
            conninfo = pg.conninfo(database: try await pg.createDatabase())
        }
        defer { postgres?.stop() }

        let stores = try ["s-1", "s-2"].map { try StoreProcess(dir: dir, id: $0, rack: "r1", zookeeper: zk.hosts) }
        for store in stores {
            try store.start()
            try store.provision(vid: 1)
        }
        try await prepareCluster(zk, stores: stores, vid: 1)
        let directory = try DirectoryProcess(dir: dir, zookeeper: zk.hosts, postgres: conninfo)
        try directory.start()
        defer { directory.terminate() }

        #expect(try directory.endpoint.postForm("/buckets/create", [("name", "photos")]).status == 401)
        #expect(try directory.post("/buckets/create", [("name", "photos")]).ret == 1)
        let address = "127.0.0.1:\(directory.port)"
        let cli = try runBFS(["bucket", "update", "photos", "--flags", "1", "--directory", address],
                             environment: ["BFS_CLUSTER_TOKEN": directory.token])
        #expect(cli.status == 0 && cli.output.contains(#""flags":1"#), "\(cli.output)")
        let listed = try runBFS(["bucket", "list", "--directory", address, "--token", directory.token])
        #expect(listed.status == 0 && listed.output.contains(#""name":"photos""#), "\(listed.output)")
        #expect(try runBFS(["bucket", "list", "--directory", address, "--token", "wrong"]).status != 0)

        // The directory's view follows the Health statuses through its watches.
        var allocation: TestHTTPResponse?
        let placed = try await waitUntil(seconds: 20, pollMilliseconds: 50) { () async throws -> Bool in
            allocation = try directory.post("/allocate", [("bucket", "photos"), ("filename", "cat.jpg"), ("mime", "image/jpeg")])
            return allocation?.ret == 1
        }
        #expect(placed, "no placement: \(allocation?.text ?? "")\n\(directory.process?.log.suffix(2000) ?? "")")
        let answer = try #require(allocation?.json)
        let key = try #require((answer["key"] as? NSNumber)?.int64Value)
        let cookie = try #require((answer["cookie"] as? NSNumber)?.int32Value)
        #expect((answer["vid"] as? NSNumber)?.int32Value == 1)
        let apis = stores.map { "127.0.0.1:\($0.api)" }
        #expect((answer["stores"] as? [String]) == apis)

        let data = payload(seed: 7, size: 3000)
        for store in stores { #expect(try store.upload(vid: 1, key: key, cookie: cookie, data: data).ret == 1) }
        let commit = try directory.post("/commit", [("key", "\(key)"), ("sha1", "00"), ("size", "3000"), ("mtime", "1700000000000000000")])
        #expect(commit.json["outcome"] as? String == "created")

        let get = try directory.endpoint.get("/get?bucket=photos&filename=cat.jpg")
        #expect(get.ret == 1)
        #expect((get.json["key"] as? NSNumber)?.int64Value == key)
        #expect((get.json["stores"] as? [String]) == apis)
        #expect(get.json["mine"] as? String == "image/jpeg")
        for store in stores { #expect(try store.get(vid: 1, key: key, cookie: cookie).body == data) }

        #expect(try directory.post("/del", [("bucket", "photos"), ("filename", "cat.jpg")]).ret == 1)
        #expect(try directory.endpoint.get("/get?bucket=photos&filename=cat.jpg").ret == 5001)
        let gone = waitUntil(seconds: 20, pollMilliseconds: 50) {
            stores.allSatisfy { (try? $0.get(vid: 1, key: key, cookie: cookie).status) == 404 }
        }
        #expect(gone, "the reaper did not delete the needle on every store; log:\n\(directory.process?.log.suffix(2000) ?? "")")
        #expect(directory.terminate() == 0)
    }
}
