import BFSProxy
import BFSTestSupport
import Crypto
import Foundation
import Glibc
import Testing

/// The real `bfs proxy` in front of a real cluster (`ProxyCluster`: ZooKeeper, two groups of
/// two `bfs store` processes, `bfs pitchfork`, `bfs directory`): replicated PUTs, GET/HEAD,
/// read failover and bucket token auth, each checked behind the proxy too (the directory's
/// rows, the stores' needles).
@Suite(.serialized) struct ProxyIntegrationTests {
    /// A PUT is on both replicas of its volume, byte-identical, and survives kill -9 of both;
    /// GET and HEAD answer it with the quoted SHA-1 ETag; an overwrite moves the name to a new
    /// needle that is again on both replicas; a DELETE removes the row and both needles.
    @Test func putLandsDurablyOnBothReplicas() async throws {
        let cluster = try await ProxyCluster.start()
        defer { cluster.stop() }
        let key = try cluster.createBucket("photos", flags: 0)
        let data = payload(seed: 11, size: 50_000)
        let put = try cluster.put("photos", "cat.jpg", data, key: key, mime: "image/jpeg")
        #expect(put.status == 201, "\(put.status) \(put.text)\n\(cluster.proxy.log.suffix(2000))")
        #expect(put.header("ETag") == quotedSHA1(data))

        let location = try #require(try cluster.locate("photos", "cat.jpg"))
        let group = try #require(cluster.group(vid: location.vid))
        #expect(Set(location.stores) == Set(group.stores.map { "127.0.0.1:\($0.api)" }))
        for store in group.stores {
            let needle = try cluster.readNeedle(location, from: store)
            #expect(needle.status == 200 && needle.body == data, "\(store.id): \(needle.status)")
        }
        // Acknowledged means on stable storage and indexed again by recovery: kill -9 both
        // replicas, restart them, and read each one directly again.
        for store in group.stores {
            store.crash()
            try store.start()
            let needle = try cluster.readNeedle(location, from: store)
            #expect(needle.status == 200 && needle.body == data, "\(store.id) after kill -9: \(needle.status)")
        }
        let observer = try PitchforkObserver(cluster.zk)
        defer { observer.close() }
        for store in group.stores {
            #expect(try await observer.waitFor(.health, rack: store.rack, id: store.id, seconds: 30) != nil)
        }

        let get = try cluster.read("GET", "photos", "cat.jpg", key: key)
        #expect(get.status == 200, "\(get.status) \(get.text)")
        #expect(get.body == data)
        #expect(get.header("ETag") == quotedSHA1(data))
        #expect(get.header("Content-Type") == "image/jpeg")
        let head = try cluster.read("HEAD", "photos", "cat.jpg", key: key)
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        #expect(head.header("Content-Length") == "\(data.count)")
        #expect(head.header("ETag") == quotedSHA1(data))

        // Overwrite: 200, a new needle on both replicas, GET serves the new bytes.
        let newer = payload(seed: 12, size: 1234)
        let replace = try cluster.put("photos", "cat.jpg", newer, key: key, mime: "image/jpeg")
        #expect(replace.status == 200, "\(replace.status) \(replace.text)")
        let moved = try #require(try cluster.locate("photos", "cat.jpg"))
        #expect(moved.key != location.key)
        for store in try #require(cluster.group(vid: moved.vid)).stores {
            #expect(try cluster.readNeedle(moved, from: store).body == newer, "\(store.id)")
        }
        let reread = try cluster.read("GET", "photos", "cat.jpg", key: key)
        #expect(reread.body == newer)
        #expect(reread.header("ETag") == quotedSHA1(newer))

        // DELETE: 204, the row is gone, and so is the needle on every replica (the proxy's
        // delete or the directory's reaper), the replaced one included.
        let delete = try cluster.proxy.endpoint.request("DELETE", "/bfs/photos/cat.jpg", headers: [
            ("Authorization", ProxyCluster.token("DELETE", "photos", "cat.jpg", key: key)),
        ])
        #expect(delete.status == 204, "\(delete.status) \(delete.text)")
        #expect(try cluster.locate("photos", "cat.jpg") == nil)
        #expect(try cluster.read("GET", "photos", "cat.jpg", key: key).status == 404)
        let gone = waitUntil(seconds: 20, pollMilliseconds: 50) {
            [moved, location].allSatisfy { needle in
                cluster.group(vid: needle.vid)!.stores.allSatisfy { (try? cluster.readNeedle(needle, from: $0).status) == 404 }
            }
        }
        #expect(gone, "a deleted or replaced needle is still readable on a replica")
    }

    /// One replica of the file's group is killed: GETs still answer 200 with the same bytes,
    /// right after the kill (the proxy still believes in both replicas) and once the pitchfork
    /// has marked the store `Fail`.
    @Test func getFailsOverWhenAReplicaIsDown() async throws {
        let cluster = try await ProxyCluster.start()
        defer { cluster.stop() }
        let key = try cluster.createBucket("public", flags: 1)
        let data = payload(seed: 21, size: 20_000)
        let put = try cluster.put("public", "dog.png", data, key: key, mime: "image/png")
        #expect(put.status == 201, "\(put.status) \(put.text)")
        let location = try #require(try cluster.locate("public", "dog.png"))
        let group = try #require(cluster.group(vid: location.vid))
        // Warm the proxy's metadata cache with both replicas in it.
        #expect(try cluster.read("GET", "public", "dog.png").body == data)

        group.stores[0].crash()
        // The proxy starts at a random replica: enough reads that the dead one comes first in
        // some of them (the chance that none of 16 does is 2^-16).
        for attempt in 0..<16 {
            let get = try cluster.read("GET", "public", "dog.png")
            #expect(get.status == 200 && get.body == data, "attempt \(attempt): \(get.status) \(get.text)")
        }
        #expect(try cluster.proxy.metric("bfs_proxy_replica_failovers_total") >= 1)
        let observer = try PitchforkObserver(cluster.zk)
        defer { observer.close() }
        #expect(try await observer.waitFor(.fail, rack: group.stores[0].rack, id: group.stores[0].id, seconds: 15) != nil)
        for attempt in 0..<16 {
            let get = try cluster.read("GET", "public", "dog.png")
            #expect(get.status == 200 && get.body == data, "after Fail, attempt \(attempt): \(get.status) \(get.text)")
        }
    }

    /// One replica of the file's group hangs (SIGSTOP: it accepts connections and never
    /// answers, like a store stuck on a dead disk): GETs still answer 200 with the same bytes,
    /// failing over once `store_head_timeout` passes without response headers.
    @Test func getFailsOverFromAHungReplica() async throws {
        let cluster = try await ProxyCluster.start(proxySections: "[backend]\nstore_head_timeout = \"500ms\"")
        defer { cluster.stop() }
        let key = try cluster.createBucket("public", flags: 1)
        let data = payload(seed: 22, size: 30_000)
        #expect(try cluster.put("public", "owl.gif", data, key: key, mime: "image/gif").status == 201)
        let location = try #require(try cluster.locate("public", "owl.gif"))
        let hung = try #require(cluster.group(vid: location.vid)?.stores[0])
        #expect(try cluster.read("GET", "public", "owl.gif").body == data)

        let failoversBefore = try cluster.proxy.metric("bfs_proxy_replica_failovers_total")
        hung.process?.signal(SIGSTOP)
        defer { hung.process?.signal(SIGCONT) }
        // Random first replica per read: the hung one comes first in some of 16 (all but 2^-16).
        for attempt in 0..<16 {
            let get = try cluster.read("GET", "public", "owl.gif")
            #expect(get.status == 200 && get.body == data, "attempt \(attempt): \(get.status) \(get.text)")
        }
        #expect(try cluster.proxy.metric("bfs_proxy_replica_failovers_total") > failoversBefore)
    }

    /// Bucket token auth (reference §4.2, DESIGN §11): every write needs a token; reads of a
    /// read-private bucket need one; a wrong signature, an expired time or no token is 401 and
    /// changes nothing; reads of a public-read bucket are open.
    @Test func bucketTokensGuardWritesAndPrivateReads() async throws {
        let cluster = try await ProxyCluster.start()
        defer { cluster.stop() }
        let privateKey = try cluster.createBucket("vault", flags: 0)
        let publicKey = try cluster.createBucket("gallery", flags: 1)
        let secret = payload(seed: 31, size: 4096)
        let open = payload(seed: 32, size: 4096)

        // PUT without a token: 401 on both buckets, nothing stored.
        #expect(try cluster.put("vault", "a.bin", secret, key: nil).status == 401)
        #expect(try cluster.put("gallery", "b.bin", open, key: nil).status == 401)
        #expect(try cluster.locate("vault", "a.bin") == nil)
        #expect(try cluster.locate("gallery", "b.bin") == nil)

        #expect(try cluster.put("vault", "a.bin", secret, key: privateKey).status == 201)
        #expect(try cluster.put("gallery", "b.bin", open, key: publicKey).status == 201)

        // Private read: no token, a wrong signature, an expired token, another bucket's key.
        let now = Int64(Date().timeIntervalSince1970)
        let forged = BucketKey(keyId: privateKey.keyId, secret: privateKey.secret + "x")
        let cases: [(String, [(String, String)])] = [
            ("no token", []),
            ("wrong signature", [("Authorization", ProxyCluster.token("GET", "vault", "a.bin", key: forged))]),
            ("expired (1000 s old)", [("Authorization", ProxyCluster.token("GET", "vault", "a.bin", key: privateKey, at: now - 1000))]),
            ("signed for PUT", [("Authorization", ProxyCluster.token("PUT", "vault", "a.bin", key: privateKey))]),
            ("another bucket's key", [("Authorization", ProxyCluster.token("GET", "vault", "a.bin", key: publicKey))]),
        ]
        for (name, headers) in cases {
            let get = try cluster.read("GET", "vault", "a.bin", headers: headers)
            #expect(get.status == 401, "\(name): \(get.status)")
            #expect(get.body != secret, "\(name) leaked the file")
        }
        let good = try cluster.read("GET", "vault", "a.bin", key: privateKey)
        #expect(good.status == 200 && good.body == secret)
        // The token may also travel as the `token` query parameter (bfs's first choice).
        let token = ProxyCluster.token("GET", "vault", "a.bin", key: privateKey)
        let query = try cluster.proxy.endpoint.get("/bfs/vault/a.bin?token=\(token.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
        #expect(query.status == 200 && query.body == secret)

        // Public read needs nothing; a write with a bad token changes nothing.
        let publicGet = try cluster.read("GET", "gallery", "b.bin")
        #expect(publicGet.status == 200 && publicGet.body == open)
        let badPut = try cluster.put("gallery", "b.bin", payload(seed: 33, size: 10), key: forged)
        #expect(badPut.status == 401)
        let expiredPut = try cluster.proxy.endpoint.request("PUT", "/bfs/gallery/b.bin", headers: [
            ("Content-Type", "application/octet-stream"),
            ("Authorization", ProxyCluster.token("PUT", "gallery", "b.bin", key: publicKey, at: now - 1000)),
        ], body: payload(seed: 34, size: 10))
        #expect(expiredPut.status == 401)
        #expect(try cluster.read("GET", "gallery", "b.bin").body == open)
    }
}

/// The strong ETag the proxy sends: the quoted hex SHA-1 of the content.
func quotedSHA1(_ data: [UInt8]) -> String {
    "\"" + Insecure.SHA1.hash(data: data).map { String(format: "%02x", $0) }.joined() + "\""
}
