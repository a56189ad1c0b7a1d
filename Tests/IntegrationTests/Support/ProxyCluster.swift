import BFSCoordination
import BFSProxy
import BFSTestSupport
import Foundation

/// A whole cluster of real processes behind a real `bfs proxy`: ZooKeeper, two replica groups of
/// two `bfs store` processes each (group g on volume g, its two stores on racks r1 and r2), a
/// `bfs pitchfork` that judges them, a `bfs directory` on SQLite, and the proxy.
///
/// What ops would do is done here through ZooKeeper (`/group/<gid>/<store>`,
/// `/volume/<vid>/<store>`); the pitchfork then marks the stores `Health` and publishes the
/// volumes' state, as in production. `start` returns once the directory places uploads on both
/// groups.
final class ProxyCluster: @unchecked Sendable {
    /// One replica group: its id, its volume, its stores.
    struct Group {
        let id: Int
        let vid: Int32
        let stores: [StoreProcess]
    }

    /// Where the directory says a file is.
    struct Location: Equatable {
        let key: Int64
        let cookie: Int32
        let vid: Int32
        /// Api addresses ("127.0.0.1:<port>") of the replicas.
        let stores: [String]
    }

    let zk: ZooKeeperServer
    let dir: TempDir
    let groups: [Group]
    let pitchfork: PitchforkProcess
    let directory: DirectoryProcess
    let proxy: ProxyProcess

    var stores: [StoreProcess] { groups.flatMap(\.stores) }

    /// Starts everything. `directorySettings` and `proxySettings` add lines to the `[directory]`
    /// and `[proxy]` sections, `proxySections` whole sections to the proxy's config.
    static func start(label: String = "proxy-it", directorySettings: String = "",
                      proxySettings: String = "", proxySections: String = "") async throws -> ProxyCluster {
        let zk = try await ZooKeeperServer.start()
        let dir = TempDir(label)
        var groups: [Group] = []
        for gid in 1...2 {
            let stores = try ["r1", "r2"].enumerated().map { index, rack in
                try StoreProcess(dir: dir, id: "s-\(gid)\(index == 0 ? "a" : "b")", rack: rack, zookeeper: zk.hosts)
            }
            for store in stores {
                try store.start()
                try store.provision(vid: Int32(gid))
            }
            groups.append(Group(id: gid, vid: Int32(gid), stores: stores))
        }
        let client = try ZooKeeperCoordination(hosts: zk.hosts, root: "", sessionTimeout: .seconds(4)) { work in work() }
        defer { client.close(completion: nil) }
        for group in groups {
            for store in group.stores {
                try await client.ensurePath(ZnodeLayout.groupMember(gid: group.id, store: store.id))
                try await client.ensurePath(ZnodeLayout.volumeReplica(vid: group.vid, store: store.id))
            }
        }
        let pitchfork = try PitchforkProcess(dir: dir, name: "pitchfork", zookeeper: zk.hosts)
        try pitchfork.start()
        let observer = try PitchforkObserver(zk)
        defer { observer.close() }
        for store in groups.flatMap(\.stores) {
            guard try await observer.waitFor(.health, rack: store.rack, id: store.id, seconds: 30) != nil else {
                throw BFSProcess.Missing(description: "\(store.id) never became Health; pitchfork log:\n\(pitchfork.log.suffix(2000))")
            }
        }
        let directory = try DirectoryProcess(dir: dir, zookeeper: zk.hosts, settings: directorySettings)
        try directory.start()
        let proxy = try ProxyProcess(dir: dir, directory: "127.0.0.1:\(directory.port)", token: directory.token,
                                     settings: proxySettings, sections: proxySections)
        try proxy.start()
        let cluster = ProxyCluster(zk: zk, dir: dir, groups: groups, pitchfork: pitchfork, directory: directory, proxy: proxy)
        try await cluster.waitUntilBothGroupsPlace()
        return cluster
    }

    private init(zk: ZooKeeperServer, dir: TempDir, groups: [Group], pitchfork: PitchforkProcess,
                 directory: DirectoryProcess, proxy: ProxyProcess) {
        self.zk = zk
        self.dir = dir
        self.groups = groups
        self.pitchfork = pitchfork
        self.directory = directory
        self.proxy = proxy
    }

    /// Stops every process (the proxy and directory with SIGTERM, stores and pitchfork killed)
    /// and removes the temp dir.
    func stop() {
        proxy.terminate()
        directory.terminate()
        pitchfork.terminate()
        for store in stores { store.process?.stop() }
        zk.stop()
        dir.remove()
    }

    /// Allocates (and aborts at once) until the directory has placed on both volumes: its view
    /// of the pitchfork's `Health` arrives through watches, a moment after the pitchfork wrote it.
    private func waitUntilBothGroupsPlace() async throws {
        _ = try createBucket("placement-probe", flags: 0)
        var seen: Set<Int32> = []
        var last = ""
        let placed = try await waitUntil(seconds: 30, pollMilliseconds: 20) { () async throws -> Bool in
            let answer = try directory.post("/allocate", [("bucket", "placement-probe"), ("filename", "probe"), ("mime", "text/plain")])
            last = answer.text
            if answer.ret == 1, let key = (answer.json["key"] as? NSNumber)?.int64Value,
               let vid = (answer.json["vid"] as? NSNumber)?.int32Value {
                seen.insert(vid)
                _ = try directory.post("/abort", [("key", "\(key)")])
            }
            return seen.count == groups.count
        }
        guard placed else {
            throw BFSProcess.Missing(description: "the directory placed only on \(seen.sorted()); last answer \(last); log:\n"
                + directory.log.suffix(2000))
        }
    }

    // MARK: buckets and tokens

    /// Creates a bucket through the directory (cluster token) and returns its signing key.
    /// `flags`: 1 public read (bit 0). `cachePolicy`: the `Cache-Control` policy, "" for the
    /// default.
    @discardableResult
    func createBucket(_ name: String, flags: Int, cachePolicy: String = "") throws -> BucketKey {
        var fields = [("name", name), ("flags", "\(flags)")]
        if !cachePolicy.isEmpty { fields.append(("cache_policy", cachePolicy)) }
        let answer = try directory.post("/buckets/create", fields)
        guard answer.ret == 1, let bucket = answer.json["bucket"] as? [String: Any],
              let keyID = bucket["key_id"] as? String, let secret = bucket["secret"] as? String else {
            throw BFSProcess.Missing(description: "bucket \(name) not created: \(answer.text)")
        }
        return BucketKey(keyId: keyID, secret: secret)
    }

    /// A bfs token for `method bucket/filename`, signed `at` (Unix seconds; default now).
    static func token(_ method: String, _ bucket: String, _ filename: String, key: BucketKey,
                      at time: Int64 = Int64(Date().timeIntervalSince1970)) -> String {
        BucketToken.sign(method: method, bucket: bucket, filename: filename, at: time, key: key).text
    }

    // MARK: public API through the proxy

    /// `PUT /bfs/<bucket>/<filename>` signed with `key` (no token when nil).
    func put(_ bucket: String, _ filename: String, _ data: [UInt8], key: BucketKey?,
             mime: String = "application/octet-stream") throws -> TestHTTPResponse {
        var headers = [("Content-Type", mime)]
        if let key { headers.append(("Authorization", Self.token("PUT", bucket, filename, key: key))) }
        return try proxy.endpoint.request("PUT", "/bfs/\(bucket)/\(filename)", headers: headers, body: data)
    }

    /// `GET` or `HEAD /bfs/<bucket>/<filename>`, signed with `key` when given.
    func read(_ method: String = "GET", _ bucket: String, _ filename: String, key: BucketKey? = nil,
              headers: [(String, String)] = [], on endpoint: TestHTTPEndpoint? = nil) throws -> TestHTTPResponse {
        var all = headers
        if let key { all.append(("Authorization", Self.token(method, bucket, filename, key: key))) }
        return try (endpoint ?? proxy.endpoint).request(method, "/bfs/\(bucket)/\(filename)", headers: all)
    }

    // MARK: looking behind the proxy

    /// The directory's row for a file, nil when it has none (`ret` 5001).
    func locate(_ bucket: String, _ filename: String) throws -> Location? {
        let answer = try directory.endpoint.get("/get?bucket=\(bucket)&filename=\(filename)")
        guard answer.ret == 1 else { return nil }
        let json = answer.json
        guard let key = (json["key"] as? NSNumber)?.int64Value, let cookie = (json["cookie"] as? NSNumber)?.int32Value,
              let vid = (json["vid"] as? NSNumber)?.int32Value, let stores = json["stores"] as? [String] else {
            throw BFSProcess.Missing(description: "unexpected directory /get answer: \(answer.text)")
        }
        return Location(key: key, cookie: cookie, vid: vid, stores: stores)
    }

    /// Every filename of `bucket` with a row in the directory (`GET /list`, page by page).
    func listFiles(_ bucket: String) throws -> [String] {
        var names: [String] = []
        var after = ""
        while true {
            let answer = try directory.endpoint.request("GET", "/list?bucket=\(bucket)&after=\(after)",
                                                        headers: [("Authorization", "Bearer \(directory.token)")])
            guard answer.ret == 1, let files = answer.json["files"] as? [[String: Any]] else {
                throw BFSProcess.Missing(description: "directory /list \(bucket): \(answer.text)")
            }
            names += files.compactMap { $0["filename"] as? String }
            guard let next = answer.json["next"] as? String else { return names }
            after = next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? next
        }
    }

    /// The store process serving api address `address`.
    func store(api address: String) -> StoreProcess? {
        stores.first { "127.0.0.1:\($0.api)" == address }
    }

    /// The group holding volume `vid`.
    func group(vid: Int32) -> Group? { groups.first { $0.vid == vid } }

    /// The needle read straight from `store` (`GET /get?key=&cookie=&vid=` on its api listener).
    func readNeedle(_ location: Location, from store: StoreProcess) throws -> TestHTTPResponse {
        try store.get(vid: location.vid, key: location.key, cookie: location.cookie)
    }

    /// Every needle in `store`'s block file of volume `vid` (`bfs volume dump`, which reads the
    /// file without the store's help): key, cookie and whether its flag says deleted.
    func dumpNeedles(_ store: StoreProcess, vid: Int32) throws -> [(key: Int64, cookie: Int32, deleted: Bool)] {
        let info = try store.statClient.get("/info").json
        let volume = (info["volumes"] as? [[String: Any]] ?? []).first { ($0["id"] as? NSNumber)?.int32Value == vid }
        guard let block = (volume?["block"] as? [String: Any])?["file"] as? String else {
            throw BFSProcess.Missing(description: "\(store.id) /info has no volume \(vid)")
        }
        let dump = try runBFS(["volume", "dump", block])
        guard dump.status == 0 else { throw BFSProcess.Missing(description: "bfs volume dump \(block): \(dump.output)") }
        return dump.output.split(separator: "\n").dropFirst().compactMap { line in
            let f = line.split(separator: "\t")
            guard f.count == 5, let key = Int64(f[1]), let cookie = Int32(f[2]) else { return nil }
            return (key, cookie, f[3] == "deleted")
        }
    }
}
