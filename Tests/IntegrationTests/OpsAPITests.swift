import BFSTestSupport
import Foundation
import Testing

/// `bfs ops` against a real cluster (`OpsCluster`): from empty stores to a cluster that takes a
/// write, driven only through the ops API; then a compaction and a repair followed to the end.
@Suite(.serialized) struct OpsAPITests {
    @Test func loginSessionAndCSRF() async throws {
        let cluster = try await OpsCluster.start(label: "ops-auth")
        defer { cluster.stop() }
        let ops = cluster.ops.endpoint
        #expect(try ops.get("/api/overview").status == 401)
        #expect(try ops.get("/api/overview", headers: [("Authorization", "Bearer wrong")]).status == 401)
        let json = [("Content-Type", "application/json")]
        #expect(try ops.request("POST", "/api/login", headers: json, body: Array(#"{"password":"nope"}"#.utf8)).status == 401)

        let login = try ops.request("POST", "/api/login", headers: json, body: Array(#"{"password":"\#(OpsCluster.password)"}"#.utf8))
        #expect(login.status == 200)
        let cookie = try #require(login.header("Set-Cookie"))
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "\(cookie)")
        let session = String(cookie.split(separator: ";")[0])
        let csrf = try #require(login.json["csrf"] as? String)
        #expect(!csrf.isEmpty)

        #expect(try ops.get("/api/overview", headers: [("Cookie", session)]).status == 200)
        #expect(try ops.get("/api/session", headers: [("Cookie", session)]).json["csrf"] as? String == csrf)
        // A mutating call on the cookie alone (what a cross-site form could send) is refused.
        let body = Array(#"{"copies":2}"#.utf8)
        let noCSRF = try ops.request("POST", "/api/groups", headers: [("Cookie", session)] + json, body: body)
        #expect(noCSRF.status == 403)
        let wrongCSRF = try ops.request("POST", "/api/groups", headers: [("Cookie", session), ("X-CSRF-Token", "x")] + json, body: body)
        #expect(wrongCSRF.status == 403)
        #expect(try await cluster.groupsInZooKeeper().isEmpty)
        // With the token: a bad value changes nothing and says which.
        let bad = try cluster.ops.call("POST", "/api/groups", ["copies": 4])
        #expect(bad.status == 400 && bad.text.contains("copies"))

        let logout = try ops.request("POST", "/api/logout", headers: [("Cookie", session), ("X-CSRF-Token", csrf)])
        #expect(logout.status == 200)
        #expect(try ops.get("/api/overview", headers: [("Cookie", session)]).status == 401)
    }

    @Test func emptyStoresToWritableClusterThenCompactAndRepair() async throws {
        let cluster = try await OpsCluster.start(label: "ops-api")
        defer { cluster.stop() }
        let ops = cluster.ops

        // The overview sees four live stores on two racks, nothing grouped.
        let sawStores = try waitUntil(seconds: 30, pollMilliseconds: 100) {
            let o = try ops.call("GET", "/api/overview").json
            let stores = o["stores"] as? [[String: Any]] ?? []
            return stores.count == 4 && stores.allSatisfy { $0["live"] as? Bool == true }
        }
        #expect(sawStores, "overview: \((try? ops.call("GET", "/api/overview").text) ?? "")")
        let overview = try ops.call("GET", "/api/overview").json
        #expect((overview["racks"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["r1", "r2"])
        #expect((overview["pitchforks"] as? [String])?.count == 1)
        #expect((overview["directories"] as? [String])?.count == 1)

        // Free volumes: a partial failure is reported per store (s-2 refuses s-1's directory).
        let partial = try ops.call("POST", "/api/stores/free-volumes", ["stores": ["s-1", "s-2"], "count": 1, "dir": cluster.store("s-1").dataDir])
        #expect(partial.status == 200 && partial.json["ok"] as? Bool == false)
        let partialResults = results(partial.json["results"])
        #expect(partialResults["s-1"]?.ok == true && partialResults["s-2"]?.ok == false, "\(partial.text)")
        // `at_least` adds only the shortfall (s-1 has one already), so a repeat adds nothing.
        let free = try ops.call("POST", "/api/stores/free-volumes", ["at_least": 3])
        #expect(free.json["ok"] as? Bool == true, "\(free.text)")
        let made = results(free.json["results"])
        #expect(made["s-1"]?.detail.hasPrefix("created 2") == true, "\(free.text)")
        #expect(["s-2", "s-3", "s-4"].allSatisfy { made[$0]?.detail.hasPrefix("created 3") == true }, "\(free.text)")
        let repeated = try ops.call("POST", "/api/stores/free-volumes", ["at_least": 3])
        #expect(results(repeated.json["results"]).values.allSatisfy { $0.ok && $0.detail == "already has 3 free volumes" }, "\(repeated.text)")

        // Rack-aware groups: each pair spans both racks; running it again makes nothing new.
        let groups = try ops.call("POST", "/api/groups", ["copies": 2])
        #expect(groups.json["ok"] as? Bool == true, "\(groups.text)")
        #expect((groups.json["groups"] as? [[String: Any]])?.count == 2)
        let inZooKeeper = try await cluster.groupsInZooKeeper()
        #expect(inZooKeeper.count == 2)
        for (gid, members) in inZooKeeper {
            #expect(members.count == 2 && Set(members.map { cluster.racks[$0] }).count == 2, "group \(gid): \(members)")
        }
        let again = try ops.call("POST", "/api/groups", ["copies": 2])
        #expect((again.json["groups"] as? [[String: Any]])?.isEmpty == true && (again.json["skipped"] as? [Any])?.count == 4, "\(again.text)")

        // Allocation keeps one free volume per store: 3 - 1 = 2 volumes per group.
        let allocated = try ops.call("POST", "/api/volumes", [String: Any]())
        #expect(allocated.json["ok"] as? Bool == true, "\(allocated.text)")
        let volumes = try await cluster.volumesInZooKeeper()
        #expect(volumes.count == 4, "\(volumes)")
        for (vid, replicas) in volumes {
            #expect(inZooKeeper.values.contains(replicas.sorted()), "volume \(vid) replicas \(replicas) are not a group")
            for id in replicas {
                let info = try cluster.store(id).statClient.get("/info").json
                #expect((info["volumes"] as? [[String: Any]] ?? []).contains { ($0["id"] as? NSNumber)?.int32Value == vid })
            }
        }
        // The console's (watched) view follows: every volume with both replicas.
        let viewFollowed = try waitUntil(seconds: 10, pollMilliseconds: 100) {
            let listed = try ops.call("GET", "/api/overview").json["volumes"] as? [[String: Any]] ?? []
            return listed.count == 4 && listed.allSatisfy { ($0["replicas"] as? [String])?.count == 2 }
        }
        #expect(viewFollowed, "\((try? ops.call("GET", "/api/overview").text) ?? "")")
        let noMore = try ops.call("POST", "/api/volumes", [String: Any]())
        #expect(noMore.json["ok"] as? Bool == true && !noMore.text.contains("\"vid\""), "\(noMore.text)")

        // Buckets through ops: the secret is shown by create only.
        let bucket = try ops.call("POST", "/api/buckets/create", ["name": "photos", "flags": 1, "cache_policy": "public, max-age=60"])
        #expect(bucket.status == 200 && ((bucket.json["bucket"] as? [String: Any])?["secret"] as? String)?.isEmpty == false, "\(bucket.text)")
        let listed = try ops.call("GET", "/api/buckets")
        #expect(listed.text.contains("\"photos\"") && !listed.text.contains("secret"), "\(listed.text)")
        let updated = try ops.call("POST", "/api/buckets/update", ["name": "photos", "flags": 3, "domain": "img.example.com"])
        let after = try #require(updated.json["bucket"] as? [String: Any], "\(updated.text)")
        #expect((after["flags"] as? Int) == 3 && after["domain"] as? String == "img.example.com" && after["secret"] == nil, "\(updated.text)")
        let oldKey = (bucket.json["bucket"] as? [String: Any])?["key_id"] as? String
        let rotated = try #require(ops.call("POST", "/api/buckets/rotate", ["name": "photos"]).json["bucket"] as? [String: Any])
        #expect(rotated["key_id"] as? String != oldKey && (rotated["secret"] as? String)?.isEmpty == false)
        #expect(try ops.call("POST", "/api/buckets/update", ["name": "photos", "flags": 9]).status == 400)
        #expect(try ops.call("POST", "/api/buckets/update", ["name": "nope", "flags": 1]).status == 409)

        // Writable: a PUT through a real proxy lands on both replicas and reads back.
        let data = payload(seed: 11, size: 5000)
        let file = try await cluster.write(bucket: "photos", filename: "a.jpg", data: data)
        let lookup = try ops.call("GET", "/api/lookup?bucket=photos&filename=a.jpg").json
        #expect((lookup["key"] as? NSNumber)?.int64Value == file.key && (lookup["vid"] as? NSNumber)?.int32Value == file.vid)
        #expect((lookup["size"] as? Int) == data.count, "\(lookup)")
        #expect(lookup["key_text"] as? String == "\(file.key)")
        let replicaSizes = (lookup["replicas"] as? [[String: Any]] ?? []).compactMap { $0["size"] as? Int }
        #expect(replicaSizes == [data.count, data.count], "\(lookup)")
        #expect(try ops.call("GET", "/api/lookup?bucket=photos&filename=missing.jpg").status == 404)

        // Compaction of that volume on both replicas, progress never going back, then 100 %.
        for i in 0..<200 {
            for id in volumes[file.vid]! {
                #expect(try cluster.store(id).upload(vid: file.vid, key: 1_000_000 + Int64(i), cookie: 7, data: payload(seed: UInt64(i), size: 60_000)).ret == 1)
            }
        }
        let compact = try ops.call("POST", "/api/compact", ["vid": file.vid])
        #expect(compact.status == 202, "\(compact.text)")
        let compactJob = try #require(compact.json["job"] as? String)
        let compactSeen = try ops.follow(job: compactJob)
        checkProgress(compactSeen, stores: volumes[file.vid]!)
        for id in volumes[file.vid]! { #expect(try cluster.store(id).get(vid: file.vid, key: file.key, cookie: file.cookie).body == data) }

        // Repair: a replica loses its files; ops pulls the volume from the other one.
        let target = cluster.store(volumes[file.vid]!.sorted()[1])
        let info = try target.statClient.get("/info").json
        let entry = try #require((info["volumes"] as? [[String: Any]])?.first { ($0["id"] as? NSNumber)?.int32Value == file.vid })
        let blockFile = try #require((entry["block"] as? [String: Any])?["file"] as? String)
        let indexFile = try #require((entry["index"] as? [String: Any])?["file"] as? String)
        #expect(target.terminate() == 0)
        try FileManager.default.removeItem(atPath: blockFile)
        try FileManager.default.removeItem(atPath: indexFile)
        try target.start()
        #expect(try target.get(vid: file.vid, key: file.key, cookie: file.cookie).status == 404)
        let repaired = try await waitUntil(seconds: 30, pollMilliseconds: 200) { () async throws -> Bool in
            let answer = try ops.call("POST", "/api/repair", ["vid": file.vid, "store": target.id])
            guard answer.status == 202, let job = answer.json["job"] as? String else { return false }
            checkProgress(try ops.follow(job: job), stores: [target.id])
            return true
        }
        #expect(repaired, "repair never started: \((try? ops.call("POST", "/api/repair", ["vid": file.vid, "store": target.id]).text) ?? "")")
        #expect(try target.get(vid: file.vid, key: file.key, cookie: file.cookie).body == data)
        let second = try ops.call("POST", "/api/repair", ["vid": file.vid, "store": target.id])
        #expect(second.status == 409, "a healthy replica is not repaired again: \(second.text)")
        #expect(ops.terminate() == 0)
    }

    /// Every store's progress never decreased over the polls, and the job ended done at 1.
    private func checkProgress(_ seen: [[String: Any]], stores: [String]) {
        let last = seen.last ?? [:]
        #expect(last["state"] as? String == "done", "job ended \(last)")
        for id in stores {
            let series = seen.compactMap { job in
                (job["stores"] as? [[String: Any]])?.first { $0["store"] as? String == id }.flatMap { ($0["progress"] as? NSNumber)?.doubleValue }
            }
            #expect(series.last == 1, "\(id): \(series)")
            #expect(zip(series, series.dropFirst()).allSatisfy { $0 <= $1 }, "\(id) progress went back: \(series)")
        }
        print("job progress seen:", seen.map { ($0["stores"] as? [[String: Any]] ?? []).map { "\($0["store"] ?? ""):\($0["progress"] ?? "")" } })
    }

    private func results(_ value: Any?) -> [String: (ok: Bool, detail: String)] {
        (value as? [[String: Any]] ?? []).reduce(into: [:]) { out, r in
            if let store = r["store"] as? String { out[store] = (r["ok"] as? Bool ?? false, r["detail"] as? String ?? "") }
        }
    }
}
