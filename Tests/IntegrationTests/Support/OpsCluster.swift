import BFSCoordination
import BFSTestSupport
import Foundation
import Testing

/// A whole cluster for the ops tests, every part real: ZooKeeper, four `bfs store` processes
/// on two racks (s-1, s-2 on rack r1; s-3, s-4 on rack r2) with empty data directories, a
/// pitchfork, a directory and `bfs ops` with an admin password and the cluster token.
final class OpsCluster: @unchecked Sendable {
    static let token = "ops-cluster-token"
    static let password = "correct horse battery staple"

    let zk: ZooKeeperServer
    let dir: TempDir
    let stores: [StoreProcess]
    let pitchfork: PitchforkProcess
    let directory: DirectoryProcess
    let ops: OpsProcess

    private init(zk: ZooKeeperServer, dir: TempDir, stores: [StoreProcess], pitchfork: PitchforkProcess,
                 directory: DirectoryProcess, ops: OpsProcess) {
        self.zk = zk
        self.dir = dir
        self.stores = stores
        self.pitchfork = pitchfork
        self.directory = directory
        self.ops = ops
    }

    /// Starts everything; stops what started when a later part fails.
    static func start(label: String) async throws -> OpsCluster {
        let zk = try await ZooKeeperServer.start()
        let dir = TempDir(label)
        do {
            let layout = [("s-1", "r1"), ("s-2", "r1"), ("s-3", "r2"), ("s-4", "r2")]
            let stores = try layout.map { id, rack in
                try StoreProcess(dir: dir, id: id, rack: rack, zookeeper: zk.hosts, extra: "cluster_token = \"\(token)\"")
            }
            for store in stores { try store.start() }
            let pitchfork = try PitchforkProcess(dir: dir, name: "pitchfork", zookeeper: zk.hosts)
            try pitchfork.start()
            let directory = try DirectoryProcess(dir: dir, zookeeper: zk.hosts, token: token)
            try directory.start()
            let ops = try OpsProcess(dir: dir, zookeeper: zk.hosts, directoryPort: directory.port, token: token,
                                     passwordHash: try hashPassword(password))
            try ops.start()
            return OpsCluster(zk: zk, dir: dir, stores: stores, pitchfork: pitchfork, directory: directory, ops: ops)
        } catch {
            zk.stop()
            dir.remove()
            throw error
        }
    }

    func store(_ id: String) -> StoreProcess { stores.first { $0.id == id }! }

    /// The rack of each store, as the stores registered it.
    var racks: [String: String] { Dictionary(uniqueKeysWithValues: stores.map { ($0.id, $0.rack) }) }

    /// Group id -> member store ids, read from ZooKeeper with our own client (not through ops).
    func groupsInZooKeeper() async throws -> [Int: [String]] {
        let client = try ZooKeeperCoordination(hosts: zk.hosts, root: "", sessionTimeout: .seconds(4)) { work in work() }
        defer { client.close(completion: nil) }
        var out: [Int: [String]] = [:]
        for name in (try? await client.children("/group")) ?? [] {
            out[Int(name)!] = try await client.children("/group/\(name)")
        }
        return out
    }

    /// Vid -> replica store ids from ZooKeeper (`/volume/<vid>/<storeId>`).
    func volumesInZooKeeper() async throws -> [Int32: [String]] {
        let client = try ZooKeeperCoordination(hosts: zk.hosts, root: "", sessionTimeout: .seconds(4)) { work in work() }
        defer { client.close(completion: nil) }
        var out: [Int32: [String]] = [:]
        for name in (try? await client.children("/volume")) ?? [] {
            out[Int32(name)!] = try await client.children("/volume/\(name)")
        }
        return out
    }

    /// The proxy's write path by hand: directory `/allocate`, `/upload` on every replica, `/commit`,
    /// then directory `/get` and a store read.
    func write(bucket: String, filename: String, data: [UInt8]) async throws -> (key: Int64, cookie: Int32, vid: Int32) {
        let cluster = self
        var allocation: TestHTTPResponse?
        let placed = try await waitUntil(seconds: 60, pollMilliseconds: 200) { () async throws -> Bool in
            allocation = try cluster.directory.post("/allocate", [("bucket", bucket), ("filename", filename), ("mime", "image/jpeg")])
            return allocation?.ret == 1
        }
        #expect(placed, "no placement: \(allocation?.text ?? "")")
        let answer = try #require(allocation?.json)
        let key = try #require((answer["key"] as? NSNumber)?.int64Value)
        let cookie = try #require((answer["cookie"] as? NSNumber)?.int32Value)
        let vid = try #require((answer["vid"] as? NSNumber)?.int32Value)
        let apis = try #require(answer["stores"] as? [String])
        #expect(apis.count == 2)
        for api in apis {
            let store = try #require(cluster.stores.first { "127.0.0.1:\($0.api)" == api })
            #expect(try store.upload(vid: vid, key: key, cookie: cookie, data: data).ret == 1)
        }
        let commit = try cluster.directory.post("/commit", [("key", "\(key)"), ("sha1", "00"), ("size", "\(data.count)"), ("mtime", "1700000000000000000")])
        #expect(commit.json["outcome"] as? String == "created", "\(commit.text)")
        let get = try cluster.directory.endpoint.get("/get?bucket=\(bucket)&filename=\(filename)")
        #expect((get.json["key"] as? NSNumber)?.int64Value == key)
        for api in (get.json["stores"] as? [String] ?? []) {
            let store = try #require(cluster.stores.first { "127.0.0.1:\($0.api)" == api })
            #expect(try store.get(vid: vid, key: key, cookie: cookie).body == data)
        }
        return (key, cookie, vid)
    }

    func stop() {
        ops.terminate()
        directory.terminate()
        pitchfork.terminate()
        for store in stores { store.terminate() }
        zk.stop()
        dir.remove()
    }
}
