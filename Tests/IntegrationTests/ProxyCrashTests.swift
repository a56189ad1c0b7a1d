import BFSProxy
import BFSTestSupport
import Foundation
import Glibc
import Testing

/// kill -9 while the real proxy writes replicas (DESIGN §5 invariant, §7 PUT).
///
/// Crash window 1, a store dies: a PUT has its allocation and has written some replicas when
/// one store dies. The proxy must abort that allocation (and retry elsewhere or fail the PUT);
/// the directory must never commit a row whose needle is missing on a replica; and the replicas
/// that did acknowledge must be deleted (by the proxy's cleanup or the directory's reaper).
///
/// Crash window 2, the proxy dies: allocations are pending and replicas partly written, and
/// nobody will commit or abort them. The directory's reaper must abort them once
/// `allocation_timeout` passes and delete whatever replicas were written.
///
/// Crash window 3, the directory dies: allocations are pending and commits in flight; PUTs fail
/// until it is back, and the reaper of the restarted directory cleans up after them.
///
/// Every way, every acknowledged PUT reads back, and no acknowledged-but-uncommitted needle stays
/// readable on any store.
@Suite(.serialized) struct ProxyCrashTests {
    /// 32 concurrent clients, 6 PUTs each (distinct names, random sizes 1 byte .. 64 KiB from a
    /// printed seed); one store of group 1 is killed right after the 16th answer and restarted
    /// once every PUT has answered.
    @Test func killedStoreDuringConcurrentPutsLosesNothingAndLeaksNothing() async throws {
        let cluster = try await ProxyCluster.start(label: "proxy-crash", directorySettings: CrashRun.directorySettings)
        defer { cluster.stop() }
        let run = try CrashRun(cluster, label: "store kill -9 during PUTs")
        let victim = cluster.groups[0].stores[Int(run.seed % 2)]
        let statuses = await run.putAll { victim.process?.signal(SIGKILL) }
        victim.crash()  // reaps the process killed above
        try victim.start()
        let observer = try PitchforkObserver(cluster.zk)
        defer { observer.close() }
        #expect(try await observer.waitFor(.health, rack: victim.rack, id: victim.id, seconds: 30) != nil)

        print("PUT answers: \(CrashRun.histogram(statuses)), "
            + "retried on another group: \(try cluster.proxy.metric("bfs_proxy_upload_retries_total"))")
        // A failed PUT is a 5xx saying why, never a 4xx (the request was good) or a dropped connection.
        #expect(statuses.allSatisfy { $0 == 200 || $0 == 201 || (500...599).contains($0) }, "\(statuses)")
        try run.verify(statuses)
    }

    /// The same load; the proxy itself is killed after the 16th answer (in-flight PUTs lose
    /// their connection, later ones are refused) and restarted once every client is done.
    @Test func killedProxyDuringConcurrentPutsLeavesNothingBehind() async throws {
        let cluster = try await ProxyCluster.start(label: "proxy-crash", directorySettings: CrashRun.directorySettings)
        defer { cluster.stop() }
        let run = try CrashRun(cluster, label: "proxy kill -9 during PUTs")
        let statuses = await run.putAll { cluster.proxy.process?.signal(SIGKILL) }
        cluster.proxy.crash()
        try cluster.proxy.start()
        print("PUT answers (-1: connection lost or refused): \(CrashRun.histogram(statuses))")
        #expect(statuses.allSatisfy { $0 == -1 || $0 == 200 || $0 == 201 || (500...599).contains($0) }, "\(statuses)")
        #expect(statuses.contains(-1), "the kill cut no PUT")
        // PUTs cut between allocate and commit leave pending allocations only the reaper can end
        // (after allocation_timeout). Whether the kill caught any depends on timing; what must
        // hold is that every allocation ends exactly one way: committed, aborted by the proxy, or
        // reaped.
        func count(_ endpoint: String) -> Double {
            (try? cluster.directory.metric("bfs_directory_requests_total{endpoint=\"\(endpoint)\",ok=\"true\"}")) ?? -1
        }
        var ledger = ""
        let settled = waitUntil(seconds: 30, pollMilliseconds: 100) {
            let reaped = (try? cluster.directory.metric("bfs_directory_reaped_allocations_total")) ?? -1
            let (allocated, committed, aborted) = (count("allocate"), count("commit"), count("abort"))
            ledger = "allocated \(allocated), committed \(committed), aborted \(aborted), reaped \(reaped)"
            return allocated > 0 && allocated == committed + aborted + reaped
        }
        print("allocations: \(ledger)")
        #expect(settled, "allocations left pending: \(ledger)")
        try run.verify(statuses)
    }

    /// The same load; the directory is killed after the 16th answer (allocations pending,
    /// commits in flight) and restarted once every client is done. PUTs meanwhile fail with a
    /// 5xx; a commit that became durable just before the kill may leave a row whose PUT was not
    /// acknowledged, and that row must still be complete on both replicas.
    @Test func killedDirectoryDuringConcurrentPutsLeavesNothingDangling() async throws {
        let cluster = try await ProxyCluster.start(label: "proxy-crash", directorySettings: CrashRun.directorySettings)
        defer { cluster.stop() }
        let run = try CrashRun(cluster, label: "directory kill -9 during PUTs")
        let statuses = await run.putAll { cluster.directory.process?.signal(SIGKILL) }
        cluster.directory.crash()
        try cluster.directory.start()
        print("PUT answers: \(CrashRun.histogram(statuses))")
        #expect(statuses.allSatisfy { $0 == 200 || $0 == 201 || (500...599).contains($0) }, "\(statuses)")
        #expect(statuses.contains { $0 >= 500 }, "the kill failed no PUT")
        try run.verify(statuses)
    }
}

/// One crash run: the uploads, their concurrent PUTs with a kill in the middle, and the checks
/// behind the proxy afterwards.
struct CrashRun: Sendable {
    struct Upload: Sendable {
        let name: String
        let data: [UInt8]
    }

    /// Short reaper timings: abandoned allocations expire after 3 s, failed deletes are retried
    /// at least every second once a killed store is back.
    static let directorySettings = "allocation_timeout = \"3s\"\ntombstone_retry_max = \"1s\""
    static let bucket = "crash"
    static let clients = 32, perClient = 6
    /// The answer after which the kill happens.
    static let killAfter = 16

    let cluster: ProxyCluster
    let key: BucketKey
    let seed: UInt64
    let uploads: [Upload]

    init(_ cluster: ProxyCluster, label: String) throws {
        self.cluster = cluster
        key = try cluster.createBucket(Self.bucket, flags: 1)
        seed = SeededGenerator.printedSeed(label)
        var random = SeededGenerator(seed: seed)
        uploads = (0..<(Self.clients * Self.perClient)).map { i in
            Upload(name: "f\(i).bin", data: random.bytes(Int.random(in: 1...65536, using: &random)))
        }
    }

    /// Runs every PUT (`clients` concurrent clients, `perClient` each, in order) and returns
    /// each one's HTTP status, or -1 when the exchange itself failed. The client that got the
    /// `killAfter`th answer calls `kill` at once, while the others' PUTs are in flight.
    func putAll(kill: @escaping @Sendable () -> Void) async -> [Int] {
        let statuses = Locked([Int](repeating: 0, count: uploads.count))
        let answered = Locked(0)
        let group = DispatchGroup()
        for client in 0..<Self.clients {
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave() }
                for round in 0..<Self.perClient {
                    let index = client * Self.perClient + round
                    let upload = uploads[index]
                    let status = (try? cluster.put(Self.bucket, upload.name, upload.data, key: key).status) ?? -1
                    statuses.with { $0[index] = status }
                    if answered.with({ $0 += 1; return $0 }) == Self.killAfter { kill() }
                }
            }
        }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            group.notify(queue: .global()) { done.resume() }
        }
        return statuses.get
    }

    /// Nothing lost, nothing dangling, nothing leaked (every process up again).
    func verify(_ statuses: [Int]) throws {
        let acknowledged = statuses.indices.filter { statuses[$0] == 200 || statuses[$0] == 201 }
        #expect(!acknowledged.isEmpty)
        // Every acknowledged PUT reads back byte-identical through the proxy.
        for index in acknowledged {
            let get = try cluster.read("GET", Self.bucket, uploads[index].name)
            #expect(get.status == 200 && get.body == uploads[index].data, "\(uploads[index].name): \(get.status)")
        }
        // Every row the directory has points at a needle present, identical, on every replica
        // of its volume (each store read directly).
        var committed: Set<Int64> = []
        for (index, upload) in uploads.enumerated() {
            guard let location = try cluster.locate(Self.bucket, upload.name) else {
                #expect(!acknowledged.contains(index), "\(upload.name) was acknowledged but has no row")
                continue
            }
            committed.insert(location.key)
            let group = try #require(cluster.group(vid: location.vid))
            #expect(Set(location.stores) == Set(group.stores.map { "127.0.0.1:\($0.api)" }))
            for store in group.stores {
                let needle = try cluster.readNeedle(location, from: store)
                #expect(needle.status == 200 && needle.body == upload.data,
                        "\(upload.name) (PUT answered \(statuses[index])): \(store.id) has \(needle.status), \(needle.body.count) bytes")
            }
        }
        #expect(committed.count >= acknowledged.count)
        // And the directory has no row beyond those names (nothing half-created under another name).
        let rows = try cluster.listFiles(Self.bucket)
        #expect(rows.count == committed.count && Set(rows).isSubset(of: Set(uploads.map(\.name))), "\(rows)")

        // Nothing else stays readable: every needle in any block file that no row points at
        // (the failed attempts' partial replicas) is deleted by the proxy's cleanup or the
        // reaper, including on a restarted store.
        var orphans: [(store: StoreProcess, vid: Int32, key: Int64, cookie: Int32)] = []
        for group in cluster.groups {
            for store in group.stores {
                for needle in try cluster.dumpNeedles(store, vid: group.vid) where !committed.contains(needle.key) {
                    orphans.append((store, group.vid, needle.key, needle.cookie))
                }
            }
        }
        print("needles in block files that no row points at: \(orphans.count)")
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

    /// Statuses and how often each came.
    static func histogram(_ statuses: [Int]) -> [(key: Int, value: Int)] {
        Dictionary(grouping: statuses) { $0 }.mapValues(\.count).sorted { $0.key < $1.key }
    }
}
