import BFSTestSupport
import Foundation
import Glibc
import Testing

/// kill -9 of a store while the real proxy writes replicas (DESIGN §5 invariant, §7 PUT).
///
/// The crash window: a PUT has its allocation and has written some replicas when one store
/// dies. The proxy must then abort that allocation (and retry elsewhere or fail the PUT); the
/// directory must never commit a row whose needle is missing on a replica; and the replicas that
/// did acknowledge must be deleted (by the proxy's cleanup or the directory's reaper), so no
/// acknowledged-but-uncommitted needle stays readable.
@Suite(.serialized) struct ProxyCrashTests {
    struct Upload {
        let name: String
        let data: [UInt8]
    }

    /// 32 concurrent clients, 6 PUTs each (distinct names, random sizes 1 byte .. 64 KiB from a
    /// printed seed); one store of group 1 is killed right after the 16th answer and restarted
    /// once every PUT has answered.
    @Test func killedStoreDuringConcurrentPutsLosesNothingAndLeaksNothing() async throws {
        // Short reaper timings: abandoned allocations expire after 5 s, failed deletes are
        // retried at least every second once the killed store is back.
        let cluster = try await ProxyCluster.start(
            label: "proxy-crash",
            directorySettings: "allocation_timeout = \"5s\"\ntombstone_retry_max = \"1s\"")
        defer { cluster.stop() }
        let key = try cluster.createBucket("crash", flags: 1)
        let seed = SeededGenerator.printedSeed("proxy kill -9 during PUTs")
        var random = SeededGenerator(seed: seed)
        let clients = 32, perClient = 6
        let uploads = (0..<(clients * perClient)).map { i in
            Upload(name: "f\(i).bin", data: random.bytes(Int.random(in: 1...65536, using: &random)))
        }
        let victim = cluster.groups[0].stores[Int(seed % 2)]
        let killAfter = 16

        // Status per upload: the HTTP status, or -1 when the exchange itself failed.
        let statuses = Locked([Int](repeating: 0, count: uploads.count))
        let answered = Locked(0)
        let group = DispatchGroup()
        for client in 0..<clients {
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave() }
                for round in 0..<perClient {
                    let index = client * perClient + round
                    let status = (try? cluster.put("crash", uploads[index].name, uploads[index].data, key: key).status) ?? -1
                    statuses.with { $0[index] = status }
                    // The client that got the 16th answer kills at once, while the others'
                    // PUTs are in flight.
                    if answered.with({ $0 += 1; return $0 }) == killAfter { victim.process?.signal(SIGKILL) }
                }
            }
        }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            group.notify(queue: .global()) { done.resume() }
        }
        victim.crash()  // reaps the process killed above
        try victim.start()
        let observer = try PitchforkObserver(cluster.zk)
        defer { observer.close() }
        #expect(try await observer.waitFor(.health, rack: victim.rack, id: victim.id, seconds: 30) != nil)

        let results = statuses.get
        let acknowledged = results.indices.filter { results[$0] == 200 || results[$0] == 201 }
        print("PUT answers: \(Dictionary(grouping: results) { $0 }.mapValues(\.count).sorted { $0.key < $1.key }), "
            + "retried on another group: \(try cluster.proxy.metric("bfs_proxy_upload_retries_total"))")
        #expect(!acknowledged.isEmpty)
        // A failed PUT is a 5xx saying why, never a 4xx (the request was good) or a dropped connection.
        #expect(results.allSatisfy { $0 == 200 || $0 == 201 || (500...599).contains($0) }, "\(results)")

        // Every acknowledged PUT reads back byte-identical through the proxy.
        for index in acknowledged {
            let get = try cluster.read("GET", "crash", uploads[index].name)
            #expect(get.status == 200 && get.body == uploads[index].data, "\(uploads[index].name): \(get.status)")
        }
        // Every row the directory has points at a needle present, identical, on every replica
        // of its volume (each store read directly).
        var committed: Set<Int64> = []
        for (index, upload) in uploads.enumerated() {
            guard let location = try cluster.locate("crash", upload.name) else {
                #expect(!acknowledged.contains(index), "\(upload.name) was acknowledged but has no row")
                continue
            }
            committed.insert(location.key)
            let group = try #require(cluster.group(vid: location.vid))
            #expect(Set(location.stores) == Set(group.stores.map { "127.0.0.1:\($0.api)" }))
            for store in group.stores {
                let needle = try cluster.readNeedle(location, from: store)
                #expect(needle.status == 200 && needle.body == upload.data,
                        "\(upload.name) (PUT answered \(results[index])): \(store.id) has \(needle.status), \(needle.body.count) bytes")
            }
        }
        #expect(committed.count >= acknowledged.count)
        // And the directory has no row beyond those names (nothing half-created under another name).
        let rows = try cluster.listFiles("crash")
        #expect(rows.count == committed.count && Set(rows).isSubset(of: Set(uploads.map(\.name))), "\(rows)")

        // Nothing else stays readable: every needle in any block file that no row points at
        // (the failed attempts' partial replicas) is deleted by the proxy's cleanup or the
        // reaper, including on the restarted store.
        var orphans: [(store: StoreProcess, vid: Int32, key: Int64, cookie: Int32)] = []
        for group in cluster.groups {
            for store in group.stores {
                for needle in try cluster.dumpNeedles(store, vid: group.vid) where !committed.contains(needle.key) {
                    orphans.append((store, group.vid, needle.key, needle.cookie))
                }
            }
        }
        print("needles written by failed attempts: \(orphans.count)")
        var readable: [String] = []
        let cleaned = waitUntil(seconds: 30, pollMilliseconds: 200) {
            readable = orphans.compactMap { o in
                let status = (try? o.store.get(vid: o.vid, key: o.key, cookie: o.cookie).status) ?? -1
                return status == 404 ? nil : "\(o.store.id) vid \(o.vid) key \(o.key): \(status)"
            }
            return readable.isEmpty
        }
        #expect(cleaned, "uncommitted needles still readable: \(readable)\ndirectory log:\n\(cluster.directory.log.suffix(2000))")
    }
}
