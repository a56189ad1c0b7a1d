import BFSCluster
import BFSCoordination
import BFSCore
import BFSDirectory
import BFSHTTP
import BFSLoop
import BFSMetadata
@testable import BFSProxy
import BFSTestSupport
import Foundation
import Testing

/// The proxy against the real directory (its router over SQLite metadata, a fixed cluster of
/// two groups of fake stores): the wire contract of `/bucket`, `/get` with `size`, `/allocate`
/// with `exclude_vid`, `/commit`, `/abort`, `/del` and `/list`, as the proxy uses it.
@Suite(.serialized) struct RealDirectoryTests {
    static let token = "cluster-t0ken"

    /// Group 1 = stores 0, 1 holding volume 1; group 2 = stores 2, 3 holding volume 2.
    private func withStack(_ body: (Stack) async throws -> Void) async throws {
        let temp = TempDir("proxy-real-directory")
        defer { temp.remove() }
        let metadata = try SQLMetadataStore.sqlite(path: temp.file("metadata.db"))
        let bucket = try await metadata.createBucket(NewBucket(name: "pics", flags: .publicRead))
        let group = try EventLoopGroup(loopCount: 1, name: "real-directory")
        let stores = try (0..<4).map { _ in try FakeStore(group: group) }
        var snapshot = ClusterSnapshot()
        for (gid, members) in [(1, [0, 1]), (2, [2, 3])] {
            let ids = members.map { "s\($0)" }
            for (index, id) in zip(members, ids) {
                let node = StoreNode(stat: "127.0.0.1:1", admin: "127.0.0.1:1", api: stores[index].address, id: id, rack: "r", status: .health)
                snapshot.stores[id] = ClusterStore(node: node, isLive: true, volumes: [VolumeID(gid)])
            }
            snapshot.groups[gid] = ClusterGroup(id: gid, members: ids)
            let state = VolumeState(totalWriteProcessed: 0, totalWriteDelay: 0, freeSpace: UInt32.max - 1)
            snapshot.volumes[VolumeID(gid)] = ClusterVolume(id: VolumeID(gid), state: state,
                                                            replicas: Dictionary(uniqueKeysWithValues: ids.map { ($0, state) }))
        }
        var settings = DirectorySettings()
        settings.clusterToken = Self.token
        let keys = KeyGenerator()
        keys.setWorker(1)
        let fixed = snapshot
        let context = DirectoryContext(settings: settings, metadata: metadata, snapshot: { fixed }, keys: keys)
        let server = HTTPServer(router: makeDirectoryRouter(context: context))
        let directoryPort = try server.start(on: group)
        var proxySettings = ProxySettings()
        proxySettings.listen = HostPort(host: "127.0.0.1", port: 0)
        proxySettings.workers = 1
        proxySettings.directory = HostPort(host: "127.0.0.1", port: directoryPort)
        proxySettings.clusterToken = Self.token
        let proxy = ProxyService(settings: proxySettings)
        let proxyPort = try proxy.start()
        defer {
            proxy.stop()
            server.stop()
            for store in stores { store.stop() }
            group.shutdown()
        }
        try await body(Stack(proxy: TestHTTPEndpoint(port: proxyPort), directory: TestHTTPEndpoint(port: directoryPort), stores: stores,
                             key: BucketKey(keyId: bucket.keyID, secret: bucket.secret)))
        await metadata.close()
    }

    /// What a test talks to.
    struct Stack {
        let proxy: TestHTTPEndpoint
        let directory: TestHTTPEndpoint
        let stores: [FakeStore]
        let key: BucketKey

        /// A token for the bucket `pics`.
        func sign(_ method: String, _ name: String) -> String {
            BucketToken.sign(method: method, bucket: "pics", filename: name, at: Int64(Date().timeIntervalSince1970), key: key).text
        }
    }

    @Test func putGetHeadListDeleteThroughTheRealDirectory() async throws {
        try await withStack { s in
            let (h, directory) = (s.proxy, s.directory)
            let data: [UInt8] = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
            let sign = s.sign
            let put = try h.request("PUT", "/bfs/pics/a/cat.jpg",
                                             headers: [("Content-Type", "image/jpeg"), ("Authorization", sign("PUT", "a/cat.jpg"))], body: data)
            #expect(put.status == 201)
            let lookup = try directory.get("/get?bucket=pics&filename=a/cat.jpg")
            #expect(lookup.ret == 1 && (lookup.json["size"] as? NSNumber)?.intValue == data.count)
            let key1 = try #require((lookup.json["key"] as? NSNumber)?.int64Value)
            #expect(s.stores[0].needles.get[key1] == data || s.stores[2].needles.get[key1] == data)

            let head = try h.head("/bfs/pics/a/cat.jpg")
            #expect(head.status == 200 && head.header("Content-Length") == "10000")
            #expect(try h.get("/bfs/pics/a/cat.jpg").body == data)

            let replace = try h.request("PUT", "/bfs/pics/a/cat.jpg",
                                                 headers: [("Content-Type", "image/jpeg"), ("Authorization", sign("PUT", "a/cat.jpg"))], body: [9, 9])
            #expect(replace.status == 200)
            #expect(try h.get("/bfs/pics/a/cat.jpg").body == [9, 9])

            let list = try h.get("/bfs/pics/?list", headers: [("Authorization", sign("GET", ""))])
            #expect(list.status == 200)
            #expect((list.json["files"] as? [[String: Any]])?.map { $0["name"] as? String } == ["a/cat.jpg"])
            #expect((list.json["files"] as? [[String: Any]])?.first?["size"] as? Int == 2)

            let delete = try h.request("DELETE", "/bfs/pics/a/cat.jpg", headers: [("Authorization", sign("DELETE", "a/cat.jpg"))])
            #expect(delete.status == 204)
            #expect(try h.get("/bfs/pics/a/cat.jpg").status == 404)
            #expect(try h.request("DELETE", "/bfs/pics/a/cat.jpg", headers: [("Authorization", sign("DELETE", "a/cat.jpg"))]).status == 404)
        }
    }

    @Test func anIfMatchPutLosesToACommitLandingWhileItsReplicasAreWritten() async throws {
        try await withStack { s in
            let (h, directory) = (s.proxy, s.directory)
            let jpeg = ("Content-Type", "image/jpeg")
            #expect(try h.request("PUT", "/bfs/pics/x.jpg", headers: [jpeg, ("Authorization", s.sign("PUT", "x.jpg"))], body: [1]).status == 201)
            let seen = try directory.get("/get?bucket=pics&filename=x.jpg")
            let sha1 = try #require(seen.json["sha1"] as? String)
            let seenKey = try #require((seen.json["key"] as? NSNumber)?.int64Value)

            // Our If-Match PUT passes its check, then waits on its replica writes...
            for store in s.stores { store.holdUploads.with { $0 = true } }
            let status = Locked<Int?>(nil)
            let ours = Thread {
                let answer = try? h.request("PUT", "/bfs/pics/x.jpg", headers: [jpeg, ("If-Match", "\"\(sha1)\""),
                                                                              ("Authorization", s.sign("PUT", "x.jpg"))], body: [2])
                status.with { $0 = answer.map { Int($0.status) } ?? -1 }
            }
            ours.start()
            #expect(try await waitUntil { s.stores.reduce(0) { $0 + $1.heldUploadCount } == 2 })
            // ...while another writer allocates and commits the same name on the directory.
            let bearer = [("Authorization", "Bearer \(Self.token)")]
            let allocation = try directory.request("POST", "/allocate?bucket=pics&filename=x.jpg", headers: bearer)
            let theirKey = try #require((allocation.json["key"] as? NSNumber)?.int64Value)
            let sha = String(repeating: "b", count: 40)
            let committed = try directory.request("POST", "/commit?key=\(theirKey)&sha1=\(sha)&size=3&mtime=1", headers: bearer)
            #expect(committed.ret == 1 && committed.json["outcome"] as? String == "replaced")
            for store in s.stores { store.releaseUploads() }

            #expect(try await waitUntil { status.get != nil })
            #expect(status.get == 412)
            let now = try directory.get("/get?bucket=pics&filename=x.jpg")
            #expect((now.json["key"] as? NSNumber)?.int64Value == theirKey && theirKey != seenKey)
            #expect(now.json["sha1"] as? String == sha)
        }
    }

    @Test func aFailedGroupIsAvoidedByTheRetry() async throws {
        try await withStack { s in
            let (h, directory) = (s.proxy, s.directory)
            // A replica of group 1 fails: an upload placed there is retried outside it, one placed
            // on group 2 stays; either way every file ends on volume 2.
            s.stores[1].failUploads.with { $0 = true }
            for index in 0..<16 {
                let name = "f\(index).jpg"
                let token = s.sign("PUT", name)
                let put = try h.request("PUT", "/bfs/pics/\(name)", headers: [("Content-Type", "image/jpeg"), ("Authorization", token)],
                                                 body: [UInt8(index)])
                #expect(put.status == 201)
                #expect((try directory.get("/get?bucket=pics&filename=\(name)").json["vid"] as? NSNumber)?.intValue == 2)
            }
            // Placement weighs both groups alike: 16 uploads all missing group 1 has odds 2^-16.
            #expect(!s.stores[1].uploads.get.isEmpty)
        }
    }
}
