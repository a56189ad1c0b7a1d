import BFSCoordination
import BFSProxy
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

    /// A real `bfs proxy` in front of the cluster's directory: a signed PUT (the proxy
    /// allocates, writes every replica, commits), then the directory's `/get` for where the
    /// needle went, and a read of it from each replica directly.
    func write(bucket: String, filename: String, data: [UInt8]) async throws -> (key: Int64, cookie: Int32, vid: Int32) {
        // The bucket's current key, as the directory holds it (ops hides secrets after create).
        let record = try directory.endpoint.get("/bucket?name=\(bucket)", headers: [("Authorization", "Bearer \(Self.token)")])
        let fields = try #require(record.json["bucket"] as? [String: Any], "\(record.text)")
        let keyID = try #require(fields["key_id"] as? String), secret = try #require(fields["secret"] as? String)
        let proxy = try ProxyProcess(dir: dir, directory: "127.0.0.1:\(directory.port)", token: Self.token)
        try proxy.start()
        defer { _ = proxy.terminate() }
        var put: TestHTTPResponse?
        // The first PUT may come before the directory's view has the new volumes as writable.
        let stored = try await waitUntil(seconds: 60, pollMilliseconds: 200) { () async throws -> Bool in
            let time = Int64(Date().timeIntervalSince1970)
            let token = BucketToken.sign(method: "PUT", bucket: bucket, filename: filename, at: time,
                                         key: BucketKey(keyId: keyID, secret: secret)).text
            put = try proxy.endpoint.request("PUT", "/bfs/\(bucket)/\(filename)",
                                             headers: [("Content-Type", "image/jpeg"), ("Authorization", token)], body: data)
            return put?.status == 201
        }
        #expect(stored, "proxy PUT: \(put?.status ?? 0) \(put?.text ?? "")\n\(proxy.log.suffix(2000))")
        let get = try directory.endpoint.get("/get?bucket=\(bucket)&filename=\(filename)")
        let key = try #require((get.json["key"] as? NSNumber)?.int64Value, "\(get.text)")
        let cookie = try #require((get.json["cookie"] as? NSNumber)?.int32Value)
        let vid = try #require((get.json["vid"] as? NSNumber)?.int32Value)
        let apis = get.json["stores"] as? [String] ?? []
        #expect(apis.count == 2, "\(get.text)")
        for api in apis {
            let store = try #require(stores.first { "127.0.0.1:\($0.api)" == api })
            #expect(try store.get(vid: vid, key: key, cookie: cookie).body == data)
        }
        let read = BucketToken.sign(method: "GET", bucket: bucket, filename: filename, at: Int64(Date().timeIntervalSince1970),
                                    key: BucketKey(keyId: keyID, secret: secret)).text
        let back = try proxy.endpoint.get("/bfs/\(bucket)/\(filename)", headers: [("Authorization", read)])
        #expect(back.status == 200 && back.body == data, "\(back.status) \(back.text.prefix(200))")
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
