import BFSCluster
import BFSCoordination
import BFSCore
import BFSTestSupport
import Logging
import Testing

/// The cluster view over the embedded tree and a real ZooKeeper: every change a store, ops or
/// pitchfork makes shows in the snapshot within a bounded wait.
@Suite struct ClusterViewTests {
    static let fast = ClusterView.Options(debounce: .milliseconds(5), retryDelay: .milliseconds(100), resyncInterval: .seconds(60))

    @Test(arguments: Backend.allCases)
    func storesGroupsAndVolumesShowUp(_ backend: Backend) async throws {
        try await ClusterFixture.with(backend) { fixture in
            let ops = try await fixture.client()
            let view = ClusterView(coordination: try await fixture.client(), options: Self.fast, logger: Logger(label: "test.view"))
            view.start()
            defer { view.stop() }
            #expect(try await eventually { view.isReady })
            #expect(view.snapshot == .empty)

            // A store registers: its JSON and one volume, not live yet.
            let store = try await fixture.client()
            try await store.ensurePath(ZnodeLayout.store(rack: "r1", id: "s1"))
            var node = StoreNode(stat: "h:1", admin: "h:2", api: "h:3", id: "s1", rack: "r1", status: .initial)
            try await store.set(ZnodeLayout.store(rack: "r1", id: "s1"), data: node.jsonBytes())
            _ = try await store.create(ZnodeLayout.storeVolume(rack: "r1", id: "s1", vid: 7), data: RackVolume(blockPath: "/d/7", indexPath: "/d/7.idx", vid: 7).bytes)
            #expect(try await eventually { view.snapshot.stores["s1"] == ClusterStore(node: node, isLive: false, volumes: [7]) })
            #expect(view.snapshot.racks == ["r1": ["s1"]])

            // It goes live; pitchfork marks it healthy.
            try await store.ensurePath(ZnodeLayout.liveStores)
            _ = try await store.create(ZnodeLayout.live("s1"), mode: .ephemeral)
            #expect(try await eventually { view.snapshot.stores["s1"]?.isLive == true })
            node.status = .health
            try await ops.set(ZnodeLayout.store(rack: "r1", id: "s1"), data: node.jsonBytes())
            #expect(try await eventually { view.snapshot.stores["s1"]?.isWritable == true })

            // Ops makes a group and a volume; pitchfork probes the replica.
            try await ops.ensurePath(ZnodeLayout.groupMember(gid: 4, store: "s1"))
            #expect(try await eventually { view.snapshot.groups[4] == ClusterGroup(id: 4, members: ["s1"]) })
            try await ops.ensurePath(ZnodeLayout.volumeReplica(vid: 7, store: "s1"))
            #expect(try await eventually { view.snapshot.volumes[7] == ClusterVolume(id: 7, state: nil, replicas: ["s1": VolumeState?.none]) })
            let state = VolumeState(totalWriteProcessed: 3, totalWriteDelay: 900, freeSpace: 12345)
            try await ops.set(ZnodeLayout.volumeReplica(vid: 7, store: "s1"), data: state.jsonBytes())
            try await ops.set(ZnodeLayout.volume(7), data: state.jsonBytes())
            #expect(try await eventually { view.snapshot.volumes[7]?.state(on: "s1") == state && view.snapshot.volumes[7]?.state == state })

            // The store's session ends: it is no longer live, its registration stays.
            await store.close()
            #expect(try await eventually { view.snapshot.stores["s1"]?.isLive == false })
            #expect(view.snapshot.stores["s1"]?.volumes == [7])
        }
    }

    @Test(arguments: Backend.allCases)
    func watchesAreReArmedAfterTheViewsSessionExpires(_ backend: Backend) async throws {
        try await ClusterFixture.with(backend) { fixture in
            let ops = try await fixture.client()
            let viewClient = try await fixture.client()
            let view = ClusterView(coordination: viewClient, options: Self.fast, logger: Logger(label: "test.view"))
            view.start()
            defer { view.stop() }
            try await ops.ensurePath(ZnodeLayout.groupMember(gid: 1, store: "a"))
            #expect(try await eventually { view.snapshot.groups[1] != nil })

            await fixture.expire(viewClient)
            try await ops.ensurePath(ZnodeLayout.groupMember(gid: 1, store: "b"))
            try await ops.ensurePath(ZnodeLayout.groupMember(gid: 2, store: "c"))
            #expect(try await eventually(seconds: 20) { view.snapshot.groups[1]?.members == ["a", "b"] && view.snapshot.groups[2] != nil })
            // And the watches armed after the expiry fire too.
            try await ops.ensurePath(ZnodeLayout.groupMember(gid: 2, store: "d"))
            #expect(try await eventually { view.snapshot.groups[2]?.members == ["c", "d"] })
        }
    }

    @Test func observersHearEachChangeAndAMissingListAppearing() async throws {
        try await ClusterFixture.with(.embedded) { fixture in
            let ops = try await fixture.client()
            let view = ClusterView(coordination: try await fixture.client(), options: Self.fast, logger: Logger(label: "test.view"))
            let seen = Locked<[ClusterSnapshot]>([])
            view.addObserver { snapshot in seen.with { $0.append(snapshot) } }
            view.start()
            defer { view.stop() }
            #expect(try await eventually { seen.get.count == 1 })
            // `/group` did not exist: an exists watch sees it created.
            try await ops.ensurePath(ZnodeLayout.groupMember(gid: 9, store: "x"))
            #expect(try await eventually { seen.get.last?.groups[9] != nil })
            #expect(seen.get.allSatisfy { $0 == .empty || $0.groups.keys.contains(9) })
        }
    }

    @Test func malformedAndHalfWrittenNodesAreSkippedNotFatal() async throws {
        try await ClusterFixture.with(.embedded) { fixture in
            let ops = try await fixture.client()
            // A store node created before its JSON, one with garbage, a volume never probed,
            // and a group id that is not a number: bfs's sync loop failed on such nodes.
            try await ops.ensurePath(ZnodeLayout.store(rack: "r", id: "empty"))
            try await ops.ensurePath(ZnodeLayout.store(rack: "r", id: "junk"))
            try await ops.set(ZnodeLayout.store(rack: "r", id: "junk"), data: Array("{not json".utf8))
            try await ops.ensurePath(ZnodeLayout.volumeReplica(vid: 3, store: "s"))
            try await ops.ensurePath("\(ZnodeLayout.groups)/not-a-number/s")
            try await ops.ensurePath(ZnodeLayout.groupMember(gid: 2, store: "s"))
            let view = ClusterView(coordination: try await fixture.client(), options: Self.fast, logger: Logger(label: "test.view"))
            view.start()
            defer { view.stop() }
            #expect(try await eventually { view.isReady })
            #expect(view.snapshot.stores.isEmpty)
            #expect(view.snapshot.groups == [2: ClusterGroup(id: 2, members: ["s"])])
            #expect(view.snapshot.volumes[3] == ClusterVolume(id: 3, state: nil, replicas: ["s": VolumeState?.none]))
        }
    }
}

/// What the view reads: only nodes whose watch fired, and everything once per resync.
@Suite struct ClusterViewReadTests {
    @Test func aChangeReReadsOnlyTheChangedNode() async throws {
        try await ClusterFixture.with(.embedded) { fixture in
            let ops = try await fixture.client()
            for id in ["a", "b", "c"] {
                let node = StoreNode(stat: "", admin: "", api: "", id: id, rack: "r", status: .initial)
                try await ops.ensurePath(ZnodeLayout.store(rack: "r", id: id))
                try await ops.set(ZnodeLayout.store(rack: "r", id: id), data: node.jsonBytes())
            }
            let recording = RecordingCoordination(try await fixture.client())
            let view = ClusterView(coordination: recording, options: ClusterViewTests.fast, logger: Logger(label: "test.view"))
            view.start()
            defer { view.stop() }
            #expect(try await eventually { view.snapshot.stores.count == 3 })
            recording.reads.with { $0.removeAll() }

            let healthy = StoreNode(stat: "", admin: "", api: "", id: "b", rack: "r", status: .health)
            try await ops.set(ZnodeLayout.store(rack: "r", id: "b"), data: healthy.jsonBytes())
            #expect(try await eventually { view.snapshot.stores["b"]?.node.status == .health })
            #expect(recording.reads.get == ["get /rack/r/b"])
        }
    }

    @Test func theResyncCatchesAChangeWhoseEventWasLost() async throws {
        try await ClusterFixture.with(.embedded) { fixture in
            let ops = try await fixture.client()
            let recording = RecordingCoordination(try await fixture.client())
            recording.dropsWatches.with { $0 = true }
            let options = ClusterView.Options(debounce: .milliseconds(5), retryDelay: .milliseconds(100), resyncInterval: .milliseconds(200))
            let view = ClusterView(coordination: recording, options: options, logger: Logger(label: "test.view"))
            view.start()
            defer { view.stop() }
            #expect(try await eventually { view.isReady })
            try await ops.ensurePath(ZnodeLayout.groupMember(gid: 5, store: "s"))
            #expect(try await eventually { view.snapshot.groups[5] == ClusterGroup(id: 5, members: ["s"]) })
        }
    }
}
