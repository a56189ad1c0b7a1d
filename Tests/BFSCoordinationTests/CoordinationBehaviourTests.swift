import BFSCoordination
import Testing

/// The behavioural contract of `Coordination`, run against the embedded tree and a real ZooKeeper.
@Suite(.zooKeeperServer) struct CoordinationBehaviourTests {
    @Test(arguments: Backend.allCases)
    func createGetSetDeleteWithVersions(_ backend: Backend) async throws {
        try await CoordinationFixture.with(backend) { fixture in
            let client = try await fixture.client()
            #expect(try await client.create("/node", data: Array("v0".utf8)) == "/node")
            let read = try await client.get("/node")
            #expect(read.data == Array("v0".utf8))
            #expect(read.stat.version == 0)
            #expect(read.stat.ephemeralOwner == 0)

            let stat = try await client.set("/node", data: Array("v1".utf8), version: 0)
            #expect(stat.version == 1)
            await #expect(throws: CoordinationError.badVersion(path: "/node")) {
                try await client.set("/node", data: [], version: 0)
            }
            #expect(try await client.set("/node", data: Array("v2".utf8), version: -1).version == 2)
            #expect(try await client.get("/node").data == Array("v2".utf8))

            await #expect(throws: CoordinationError.nodeExists(path: "/node")) { try await client.create("/node") }
            await #expect(throws: CoordinationError.noNode(path: "/missing/child")) { try await client.create("/missing/child") }
            _ = try await client.create("/node/child")
            await #expect(throws: CoordinationError.notEmpty(path: "/node")) { try await client.delete("/node") }
            try await client.delete("/node/child")
            await #expect(throws: CoordinationError.badVersion(path: "/node")) { try await client.delete("/node", version: 1) }
            try await client.delete("/node", version: 2)
            await #expect(throws: CoordinationError.noNode(path: "/node")) { try await client.get("/node") }
            await #expect(throws: CoordinationError.noNode(path: "/node")) { try await client.delete("/node") }
            await #expect(throws: CoordinationError.invalidPath(path: "bad")) { try await client.get("bad") }
            await #expect(throws: CoordinationError.invalidPath(path: "/a//b")) { try await client.get("/a//b") }
        }
    }

    @Test(arguments: Backend.allCases)
    func childrenExistsAndEnsurePath(_ backend: Backend) async throws {
        try await CoordinationFixture.with(backend) { fixture in
            let client = try await fixture.client()
            #expect(try await client.exists("/rack") == nil)
            try await client.ensurePath("/rack/rack-a/store-1")
            try await client.ensurePath("/rack/rack-a/store-1")
            try await client.ensurePath("/rack/rack-b")
            #expect(try await client.children("/rack") == ["rack-a", "rack-b"])
            #expect(try await client.children("/rack/rack-a") == ["store-1"])
            #expect(try await client.children("/rack/rack-b") == [])
            let stat = try #require(try await client.exists("/rack"))
            #expect(stat.childCount == 2)
            #expect(try await client.get("/rack/rack-a/store-1").data == [])
            await #expect(throws: CoordinationError.noNode(path: "/nope")) { try await client.children("/nope") }
        }
    }

    @Test(arguments: Backend.allCases)
    func ephemeralVanishesWhenItsSessionCloses(_ backend: Backend) async throws {
        try await CoordinationFixture.with(backend) { fixture in
            let owner = try await fixture.client()
            let observer = try await fixture.client()
            try await owner.ensurePath("/live")
            _ = try await owner.create("/live/store-1", data: Array("up".utf8), mode: .ephemeral)
            let stat = try #require(try await observer.exists("/live/store-1"))
            #expect(stat.ephemeralOwner != 0)
            await #expect(throws: CoordinationError.noChildrenForEphemerals(path: "/live/store-1/x")) {
                try await owner.create("/live/store-1/x")
            }

            let events = Recorder<WatchEvent>()
            #expect(try await observer.children("/live", watch: events.record) == ["store-1"])
            await owner.close()
            try await events.wait { $0.count == 1 }
            #expect(events.all == [WatchEvent(kind: .childrenChanged, path: "/live")])
            #expect(try await observer.exists("/live/store-1") == nil)
            await #expect(throws: CoordinationError.closed) { try await owner.get("/live") }
        }
    }

    @Test(arguments: Backend.allCases)
    func sequentialNodesCountPerParent(_ backend: Backend) async throws {
        try await CoordinationFixture.with(backend) { fixture in
            let client = try await fixture.client()
            try await client.ensurePath("/pitchfork")
            #expect(try await client.create("/pitchfork/", mode: [.ephemeral, .sequential]) == "/pitchfork/0000000000")
            #expect(try await client.create("/pitchfork/", mode: [.ephemeral, .sequential]) == "/pitchfork/0000000001")
            #expect(try await client.create("/pitchfork/n-", mode: .sequential) == "/pitchfork/n-0000000002")
            try await client.delete("/pitchfork/0000000000")
            // The counter counts creates under the parent; deletes advance the stat's child
            // version but not the counter (ZooKeeper 3.8 behaviour).
            #expect(try await client.create("/pitchfork/n-", mode: .sequential) == "/pitchfork/n-0000000003")
            #expect(try await client.exists("/pitchfork")?.childVersion == 5)
            #expect(try await client.children("/pitchfork") == ["0000000001", "n-0000000002", "n-0000000003"])
        }
    }

    @Test(arguments: Backend.allCases)
    func watchesFireOnceWithTheirKind(_ backend: Backend) async throws {
        try await CoordinationFixture.with(backend) { fixture in
            let client = try await fixture.client()
            let other = try await fixture.client()
            _ = try await client.create("/w")
            let data = Recorder<WatchEvent>()
            let children = Recorder<WatchEvent>()
            let created = Recorder<WatchEvent>()
            _ = try await client.get("/w", watch: data.record)
            _ = try await client.children("/w", watch: children.record)
            #expect(try await client.exists("/w/new", watch: created.record) == nil)

            try await other.set("/w", data: [1])
            try await other.set("/w", data: [2])
            _ = try await other.create("/w/new")
            _ = try await other.create("/w/newer")
            try await data.wait { $0.count >= 1 }
            try await children.wait { $0.count >= 1 }
            try await created.wait { $0.count >= 1 }
            // A round trip on the watching client's own executor: a second firing would be here by now.
            _ = try await client.get("/w")
            #expect(data.all == [WatchEvent(kind: .dataChanged, path: "/w")])
            #expect(children.all == [WatchEvent(kind: .childrenChanged, path: "/w")])
            #expect(created.all == [WatchEvent(kind: .created, path: "/w/new")])

            let deleted = Recorder<WatchEvent>()
            let parentGone = Recorder<WatchEvent>()
            _ = try await client.get("/w/new", watch: deleted.record)
            _ = try await client.children("/w/newer", watch: parentGone.record)
            try await other.delete("/w/new")
            try await other.delete("/w/newer")
            try await deleted.wait { $0.count >= 1 }
            try await parentGone.wait { $0.count >= 1 }
            _ = try await client.get("/w")
            #expect(deleted.all == [WatchEvent(kind: .deleted, path: "/w/new")])
            #expect(parentGone.all == [WatchEvent(kind: .deleted, path: "/w/newer")])

            // A get on a missing node arms nothing: creating it later fires no stale handler.
            let none = Recorder<WatchEvent>()
            await #expect(throws: CoordinationError.noNode(path: "/w/late")) { try await client.get("/w/late", watch: none.record) }
            _ = try await other.create("/w/late")
            try await other.set("/w/late", data: [1])
            _ = try await client.get("/w")
            #expect(none.all.isEmpty)
        }
    }

    @Test(arguments: Backend.allCases)
    func rootPrefixesIsolateClusters(_ backend: Backend) async throws {
        try await CoordinationFixture.with(backend) { fixture in
            let clusterA = try await fixture.client(root: fixture.root + "/cluster-a")
            let clusterB = try await fixture.client(root: fixture.root + "/cluster-b")
            let whole = try await fixture.client()
            try await clusterA.ensurePath("/rack/r1")
            #expect(try await clusterB.exists("/rack") == nil)
            #expect(try await whole.children("/") == ["cluster-a", "cluster-b"])
            #expect(try await whole.exists("/cluster-a/rack/r1") != nil)

            try await clusterA.ensurePath("/pitchfork")
            #expect(try await clusterA.create("/pitchfork/", mode: [.ephemeral, .sequential]) == "/pitchfork/0000000000")
            let events = Recorder<WatchEvent>()
            #expect(try await clusterA.children("/", watch: events.record) == ["pitchfork", "rack"])
            _ = try await whole.create("/cluster-a/volume")
            try await events.wait { $0.count == 1 }
            #expect(events.all == [WatchEvent(kind: .childrenChanged, path: "/")])
        }
    }
}
