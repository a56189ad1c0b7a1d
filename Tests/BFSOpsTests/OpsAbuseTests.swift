import BFSCoordination
import BFSCore
import BFSOps
import BFSTestSupport
import Foundation
import Testing

/// The ops API under hostile or careless use: concurrent calls, forged cross-site requests,
/// oversized requests and repeated actions, on an in-process `OpsService` over an embedded tree.
@Suite(.serialized) struct OpsAbuseTests {
    private func start(tree: EmbeddedTree = EmbeddedTree(),
                       _ configure: (inout OpsSettings) -> Void) throws -> (OpsService, TestHTTPEndpoint) {
        var settings = OpsSettings()
        settings.listen = HostPort(host: "127.0.0.1", port: 0)
        settings.assetsDir = OpsServiceTests.assets
        configure(&settings)
        let service = OpsService(settings: settings, coordination: .embedded(tree))
        let port = try service.start()
        return (service, TestHTTPEndpoint(port: port))
    }

    private static let token = [("Authorization", "Bearer t"), ("Content-Type", "application/json")]

    /// Runs `body` on `count` threads at once; answers their results.
    private func concurrently<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
        let results = Locked<[T]>([])
        let done = DispatchGroup()
        for i in 0..<count {
            done.enter()
            Thread {
                let r = body(i)
                results.with { $0.append(r) }
                done.leave()
            }.start()
        }
        done.wait()
        return results.with { $0 }
    }

    /// Wrong passwords sent all at once are limited like ones sent one by one: an attempt counts
    /// when it arrives, not when its (slow) hash check has failed.
    @Test func concurrentWrongLoginsStayWithinTheLimit() throws {
        let hash = try PasswordHash(password: "pw", rounds: 200_000).encoded
        let (service, ops) = try start { $0.adminPasswordHash = hash; $0.loginAttemptsPerMinute = 3 }
        defer { service.stop() }
        let statuses = concurrently(12) { _ in
            (try? ops.request("POST", "/api/login", headers: [("Content-Type", "application/json")],
                              body: Array(#"{"password":"guess"}"#.utf8)).status) ?? -1
        }
        #expect(statuses.allSatisfy { $0 == 401 || $0 == 429 }, "\(statuses)")
        #expect(statuses.filter { $0 == 401 }.count <= 3, "\(statuses)")
    }

    /// Two operators pressing "create groups" at once must not put a store in two groups.
    @Test func concurrentGroupCreationsGroupEachStoreOnce() async throws {
        let tree = EmbeddedTree()
        let writer = try TreeWriter(tree)
        for (i, rack) in ["a", "a", "b", "b", "c", "c"].enumerated() {
            try await writer.register(StoreNode(stat: "127.0.0.1:1", admin: "127.0.0.1:1", api: "127.0.0.1:1",
                                                id: "s-\(i)", rack: rack, status: .health))
        }
        let (service, ops) = try start(tree: tree) { $0.clusterToken = "t" }
        defer { service.stop() }
        let statuses = concurrently(4) { _ in
            (try? ops.request("POST", "/api/groups", headers: Self.token, body: Array(#"{"copies":2}"#.utf8)).status) ?? -1
        }
        #expect(statuses == [200, 200, 200, 200])
        let groups = try await writer.groups()
        let memberships = groups.values.flatMap { $0 }
        #expect(memberships.count == Set(memberships).count, "a store is in two groups: \(groups)")
        #expect(Set(memberships).count == 6 && groups.count == 3, "\(groups)")
    }

    /// With neither password nor token the console is open on loopback, but a page from another
    /// site must not drive it: a cross-site request cannot set custom headers, and a rebound DNS
    /// name shows in `Host`.
    @Test func anOpenConsoleRefusesCrossSiteRequests() throws {
        let (service, ops) = try start { _ in }
        defer { service.stop() }
        // What a cross-site `fetch(..., {mode: "no-cors"})` or form can send: a simple content type.
        let forged = try ops.request("POST", "/api/groups", headers: [("Content-Type", "text/plain")], body: Array(#"{"copies":2}"#.utf8))
        #expect(forged.status == 403, "\(forged.text)")
        let logout = try ops.request("POST", "/api/logout")
        #expect(logout.status == 403, "\(logout.text)")
        // The console's own page sends X-CSRF-Token (empty when open); `bfs cluster` sends Authorization.
        let page = try ops.request("POST", "/api/groups", headers: [("X-CSRF-Token", ""), ("Content-Type", "application/json")],
                                   body: Array(#"{"copies":2}"#.utf8))
        #expect(page.status == 200, "\(page.text)")
        let cli = try ops.request("POST", "/api/groups", headers: [("Authorization", "Bearer "), ("Content-Type", "application/json")],
                                  body: Array(#"{"copies":2}"#.utf8))
        #expect(cli.status == 200, "\(cli.text)")
        // DNS rebinding: the page's own origin, but a host name that is not loopback.
        let client = try TestHTTPClient(port: ops.port)
        try client.send("GET /api/overview HTTP/1.1\r\nHost: evil.example:\(ops.port)\r\nConnection: close\r\n\r\n")
        #expect(try client.readResponse().status == 403)
        #expect(try ops.get("/api/overview", headers: []).status == 200)
    }

    /// `size` turns into a volume count per store; it is held to the same limit as `count`, so a
    /// typo ("64TiB" for "64GiB") cannot ask a store for thousands of files.
    @Test func aSizeAskingForTooManyVolumesIsRefused() async throws {
        let store = try StubStore()
        defer { store.stop() }
        store.state.with { $0.freeVolumeSize = 1 << 20 }
        let tree = EmbeddedTree()
        try await TreeWriter(tree).register(store.node(id: "s-1", rack: "a"))
        let (service, ops) = try start(tree: tree) { $0.clusterToken = "t" }
        defer { service.stop() }
        let huge = try ops.request("POST", "/api/stores/free-volumes", headers: Self.token, body: Array(#"{"size":"1TiB"}"#.utf8))
        #expect(huge.status == 200 && huge.json["ok"] as? Bool == false, "\(huge.text)")
        #expect(store.state.with { $0.calls.isEmpty }, "the store was asked anyway")
        let fine = try ops.request("POST", "/api/stores/free-volumes", headers: Self.token, body: Array(#"{"size":"3MiB"}"#.utf8))
        #expect(fine.status == 200 && fine.json["ok"] as? Bool == true, "\(fine.text)")
        #expect(store.state.with { $0.calls.map { $0.form["n"] } } == ["3"])
    }

    /// Compacting a volume whose compaction ops already follows answers that job again instead
    /// of starting a second one polling the same stores.
    @Test func compactingTwiceFollowsTheRunningJob() async throws {
        let store = try StubStore()
        defer { store.stop() }
        store.state.with { $0.volumes = [7] }
        let tree = EmbeddedTree()
        let writer = try TreeWriter(tree)
        try await writer.register(store.node(id: "s-1", rack: "a"), volumes: [7])
        try await writer.publish(vid: 7, on: "s-1")
        let (service, ops) = try start(tree: tree) { $0.clusterToken = "t"; $0.jobPollInterval = .milliseconds(20) }
        defer { service.stop() }
        let first = try ops.request("POST", "/api/compact", headers: Self.token, body: Array(#"{"vid":7}"#.utf8))
        let second = try ops.request("POST", "/api/compact", headers: Self.token, body: Array(#"{"vid":7}"#.utf8))
        #expect(first.status == 202 && second.status == 202, "\(first.text) \(second.text)")
        #expect(first.json["job"] as? String == second.json["job"] as? String, "\(first.text) \(second.text)")
        let jobs = try ops.get("/api/jobs", headers: Self.token).json["jobs"] as? [[String: Any]] ?? []
        #expect(jobs.count == 1, "\(jobs)")
    }

    /// Repair rebuilds a replica of the volume's own group; a store outside it is refused, since
    /// its copy would be published as a replica that the group's writes never reach.
    @Test func repairOnlyRebuildsAStoreOfTheVolumesGroup() async throws {
        let peer = try StubStore(), member = try StubStore(), stranger = try StubStore()
        defer { peer.stop(); member.stop(); stranger.stop() }
        peer.state.with { $0.volumes = [7] }
        let tree = EmbeddedTree()
        let writer = try TreeWriter(tree)
        try await writer.register(peer.node(id: "s-1", rack: "a"), volumes: [7])
        try await writer.register(member.node(id: "s-2", rack: "b"))
        try await writer.register(stranger.node(id: "s-3", rack: "c"))
        try await writer.group(1, ["s-1", "s-2"])
        try await writer.publish(vid: 7, on: "s-1")
        try await writer.publish(vid: 7, on: "s-2")
        let (service, ops) = try start(tree: tree) { $0.clusterToken = "t"; $0.jobPollInterval = .milliseconds(20) }
        defer { service.stop() }
        let refused = try ops.request("POST", "/api/repair", headers: Self.token, body: Array(#"{"vid":7,"store":"s-3"}"#.utf8))
        #expect(refused.status == 409 && refused.text.contains("group"), "\(refused.text)")
        #expect(stranger.state.with { $0.calls.isEmpty }, "the store outside the group was asked to pull")
        let repaired = try ops.request("POST", "/api/repair", headers: Self.token, body: Array(#"{"vid":7,"store":"s-2"}"#.utf8))
        #expect(repaired.status == 202, "\(repaired.text)")
        #expect(member.state.with { $0.calls.map(\.path) } == ["/bulk_volume"])
    }

    /// An allocation asked for more volumes than the free ones allow reports the shortfall as a
    /// failure (so `bfs cluster allocate` exits non-zero), and a group named twice is allocated once.
    @Test func allocateReportsAShortfallAndTakesEachGroupOnce() async throws {
        let a = try StubStore(), b = try StubStore()
        defer { a.stop(); b.stop() }
        for store in [a, b] { store.state.with { $0.freeVolumes = 3 } }
        let tree = EmbeddedTree()
        let writer = try TreeWriter(tree)
        try await writer.register(a.node(id: "s-1", rack: "a"))
        try await writer.register(b.node(id: "s-2", rack: "b"))
        try await writer.group(1, ["s-1", "s-2"])
        let (service, ops) = try start(tree: tree) { $0.clusterToken = "t" }
        defer { service.stop() }
        let twice = try ops.request("POST", "/api/volumes", headers: Self.token, body: Array(#"{"groups":[1,1],"count":1}"#.utf8))
        #expect(twice.status == 200 && twice.json["ok"] as? Bool == true, "\(twice.text)")
        #expect(a.state.with { $0.volumes.count } == 1 && b.state.with { $0.volumes.count } == 1)
        // One free volume left above keep_free on each store; five asked for.
        let short = try ops.request("POST", "/api/volumes", headers: Self.token, body: Array(#"{"groups":[1],"count":5}"#.utf8))
        #expect(short.status == 200 && short.json["ok"] as? Bool == false && short.text.contains("1 of 5"), "\(short.text)")
        #expect(a.state.with { $0.volumes.count } == 2 && b.state.with { $0.volumes.count } == 2)
    }

    /// Naming stores to group and getting no group for some of them (one is down, so its partner
    /// is left over) is a partial failure, not success; without names, stores that are down are
    /// simply not candidates.
    @Test func createGroupsFailsWhenANamedStoreIsLeftOut() async throws {
        let tree = EmbeddedTree()
        let writer = try TreeWriter(tree)
        for (i, rack) in ["a", "b"].enumerated() {
            try await writer.register(StoreNode(stat: "127.0.0.1:1", admin: "127.0.0.1:1", api: "127.0.0.1:1",
                                                id: "s-\(i)", rack: rack, status: .health))
        }
        let down = StoreNode(stat: "127.0.0.1:1", admin: "127.0.0.1:1", api: "127.0.0.1:1", id: "s-9", rack: "c", status: .health)
        try await writer.coordination.ensurePath(ZnodeLayout.rack("c"))
        _ = try await writer.coordination.create(ZnodeLayout.store(rack: "c", id: "s-9"), data: down.jsonBytes())
        let (service, ops) = try start(tree: tree) { $0.clusterToken = "t" }
        defer { service.stop() }
        let named = try ops.request("POST", "/api/groups", headers: Self.token, body: Array(#"{"copies":2,"stores":["s-0","s-9"]}"#.utf8))
        #expect(named.status == 200 && named.json["ok"] as? Bool == false, "\(named.text)")
        #expect(try await writer.groups().isEmpty)
        let all = try ops.request("POST", "/api/groups", headers: Self.token, body: Array(#"{"copies":2}"#.utf8))
        #expect(all.status == 200 && all.json["ok"] as? Bool == true, "\(all.text)")
        #expect(try await writer.groups() == [1: ["s-0", "s-1"]])
    }

    /// API answers echo request text (job ids, store names) in JSON; no browser may read one as
    /// a page. Assets stay what their type says too.
    @Test func answersAreNeverSniffed() throws {
        let (service, ops) = try start { $0.clusterToken = "t" }
        defer { service.stop() }
        let answers = [try ops.get("/api/jobs/<script>alert(1)</script>", headers: Self.token), try ops.get("/api/overview"),
                       try ops.get("/api/overview", headers: Self.token), try ops.get("/app.js"), try ops.get("/missing.html")]
        for answer in answers {
            #expect(answer.header("X-Content-Type-Options") == "nosniff", "\(answer.status) \(answer.text.prefix(80))")
        }
    }

    /// The UI is served without a login, so only regular files of the assets directory are: a
    /// symbolic link there (to a key, a config with the token) is not followed.
    @Test func assetsAreRegularFilesOnly() throws {
        let dir = TempDir("ops-assets")
        defer { dir.remove() }
        try Data("<title>bfs ops</title>".utf8).write(to: URL(fileURLWithPath: dir.file("index.html")))
        try Data("cluster_token = \"secret\"".utf8).write(to: URL(fileURLWithPath: dir.file("..conf")))
        try FileManager.default.createSymbolicLink(atPath: dir.file("conf.txt"), withDestinationPath: dir.file("..conf"))
        let (service, ops) = try start { $0.clusterToken = "t"; $0.assetsDir = dir.path }
        defer { service.stop() }
        #expect(try ops.get("/").status == 200)
        let linked = try ops.get("/conf.txt")
        #expect(linked.status == 404 && !linked.text.contains("secret"), "\(linked.text)")
    }

    /// Volume ids are 32-bit: a store holding the largest one leaves no id to allocate, which is
    /// a failed group, not a crash of ops.
    @Test func allocatingPastTheLastVolumeIDFailsCleanly() async throws {
        let a = try StubStore(), b = try StubStore()
        defer { a.stop(); b.stop() }
        for store in [a, b] { store.state.with { $0.freeVolumes = 3 } }
        let tree = EmbeddedTree()
        let writer = try TreeWriter(tree)
        try await writer.register(a.node(id: "s-1", rack: "a"), volumes: [Int32.max])
        try await writer.register(b.node(id: "s-2", rack: "b"))
        try await writer.group(1, ["s-1", "s-2"])
        let (service, ops) = try start(tree: tree) { $0.clusterToken = "t" }
        defer { service.stop() }
        let answer = try ops.request("POST", "/api/volumes", headers: Self.token, body: Array(#"{"groups":[1],"count":1}"#.utf8))
        #expect(answer.status == 200 && answer.json["ok"] as? Bool == false && answer.text.contains("volume id"), "\(answer.text)")
        #expect(try ops.get("/api/overview", headers: Self.token).status == 200)
    }

    /// Sizes in a store's `/info` are the store's word, not a promise: absurd ones show as
    /// absurd numbers in the overview, never as a crash of ops.
    @Test func absurdStoreSizesDoNotCrashTheOverview() async throws {
        let store = try StubStore()
        defer { store.stop() }
        store.state.with { $0.freeVolumeSize = Int64.max; $0.freeVolumes = 2; $0.volumes = [3] }
        let tree = EmbeddedTree()
        let writer = try TreeWriter(tree)
        try await writer.register(store.node(id: "s-1", rack: "a"), volumes: [3])
        try await writer.publish(vid: 3, on: "s-1")
        let (service, ops) = try start(tree: tree) { $0.clusterToken = "t" }
        defer { service.stop() }
        let overview = try ops.get("/api/overview", headers: Self.token)
        let stores = overview.json["stores"] as? [[String: Any]] ?? []
        #expect(overview.status == 200 && (stores.first?["free_space"] as? NSNumber)?.int64Value == Int64.max, "\(overview.text)")
    }
}
