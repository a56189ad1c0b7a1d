import BFSCoordination
import BFSTestSupport
import Foundation
import Glibc
import Testing

/// Real `bfs pitchfork` processes on a real ZooKeeper judging real `bfs store` processes and
/// bfs-API stores served by the test (DESIGN.md §6, reference §3.2, §6.17).
@Suite(.serialized) struct PitchforkStatusTests {
    /// kill -9 of a store: `Fail` (measured and printed), back to `Health` only after the
    /// configured good checks once it is restarted.
    @Test func killedStoreFailsAndRecoversAfterGoodChecks() async throws {
        let zk = try await ZooKeeperServer.start()
        defer { zk.stop() }
        let dir = TempDir()
        defer { dir.remove() }
        let observer = try PitchforkObserver(zk)
        defer { observer.close() }
        let store = try StoreProcess(dir: dir, id: "s-1", rack: "r1", zookeeper: zk.hosts)
        try store.start()
        try store.provision(vid: 1)
        let pitchfork = try PitchforkProcess(dir: dir, name: "p-1", zookeeper: zk.hosts, storeCheck: "200ms", goodChecks: 3)
        try pitchfork.start()
        #expect(try await observer.waitFor(.health, rack: "r1", id: "s-1", seconds: 15) != nil)

        let killed = monotonicSeconds()
        store.crash()
        let failAfter = try await observer.waitFor(.fail, rack: "r1", id: "s-1", seconds: 10)
        #expect(failAfter != nil, "log:\n\(pitchfork.log.suffix(2000))")
        print("store kill -9 -> Fail in ZooKeeper: \(String(format: "%.3f", monotonicSeconds() - killed)) s (store_check_interval 200 ms)")

        try store.start()
        let restarted = monotonicSeconds()
        #expect(try await observer.waitFor(.health, rack: "r1", id: "s-1", seconds: 15) != nil)
        let recovery = monotonicSeconds() - restarted
        print("store restart -> Health: \(String(format: "%.3f", recovery)) s (3 good checks of 200 ms)")
        // Three rounds 200 ms apart cannot all fit in less than two intervals.
        #expect(recovery >= 0.4)
        #expect(try pitchfork.metric("bfs_pitchfork_status_changes_total{status=\"fail\"}") == 1)
    }

    /// `/live/<id>` vanishing makes the store `Fail` within a second, with `/info` probes far
    /// apart so only the liveness watch can be the cause.
    @Test func lostLiveNodeIsFailWithinASecond() async throws {
        let zk = try await ZooKeeperServer.start()
        defer { zk.stop() }
        let dir = TempDir()
        defer { dir.remove() }
        let observer = try PitchforkObserver(zk)
        defer { observer.close() }
        let store = try StoreProcess(dir: dir, id: "s-live", rack: "r1", zookeeper: zk.hosts)
        try store.start()
        try store.provision(vid: 1)
        let pitchfork = try PitchforkProcess(dir: dir, name: "p-1", zookeeper: zk.hosts, storeCheck: "60s")
        try pitchfork.start()
        #expect(try await observer.waitFor(.health, rack: "r1", id: "s-live", seconds: 15) != nil)

        // What a session expiry does to the node, without waiting for one.
        try await observer.client.delete(ZnodeLayout.live("s-live"))
        let failAfter = try await observer.waitFor(.fail, rack: "r1", id: "s-live", seconds: 5)
        print("/live gone -> Fail in ZooKeeper: \(failAfter.map { String(format: "%.3f", $0) } ?? "never") s")
        #expect(failAfter.map { $0 < 1 } == true)
    }

    /// A store whose every volume is nearly full is `Read`; `/volume/<vid>` and the replica's
    /// node hold VolumeState JSON a bfs directory parses; the nodes are created when missing.
    @Test func nearlyFullStoreIsReadAndVolumeStateIsPublished() async throws {
        let zk = try await ZooKeeperServer.start()
        defer { zk.stop() }
        let dir = TempDir()
        defer { dir.remove() }
        let observer = try PitchforkObserver(zk)
        defer { observer.close() }
        // 64 KiB and 512 KiB left (the limit is 1 MiB), in 8-byte units.
        let store = try FakeStore(id: "go-1", volumes: [
            .init(id: 7, offset: UInt32.max - 8192, writes: 5), .init(id: 8, offset: UInt32.max - 65536, writes: 6),
        ])
        defer { store.stop() }
        try await store.start(registeringWith: observer.client)
        let pitchfork = try PitchforkProcess(dir: dir, name: "p-1", zookeeper: zk.hosts)
        try pitchfork.start()
        #expect(try await observer.waitFor(.read, rack: "rack-go", id: "go-1", seconds: 15) != nil,
                "log:\n\(pitchfork.log.suffix(2000))")

        let expected = VolumeState(totalWriteProcessed: 5, totalWriteDelay: 5000, freeSpace: 8192)
        // The state is written after the status (both follow the same /info round): wait for it.
        for path in [ZnodeLayout.volume(7), ZnodeLayout.volumeReplica(vid: 7, store: "go-1")] {
            #expect(try await waitUntil(seconds: 5) { () async throws -> Bool in
                (try? await observer.client.get(path).data).map { !$0.isEmpty } == true
            }, "\(path) never written")
            let data = try await observer.client.get(path).data
            #expect(try JSONDecoder().decode(VolumeState.self, from: Data(data)) == expected, "\(path)")
            #expect(String(decoding: data, as: UTF8.self) == #"{"total_write_processed":5,"total_write_delay":5000,"free_space":8192}"#)
        }
        #expect(try await observer.client.exists(ZnodeLayout.pitchforks) != nil)

        // Room again on one volume: Health (Read is not Fail, so no good checks are needed).
        store.behaviour.with { $0.volumes[1].offset = 1 << 20 }
        #expect(try await observer.waitFor(.health, rack: "rack-go", id: "go-1", seconds: 10) != nil)
    }

    /// A needle probe answering 500 makes the store `Fail`, and it stays `Fail` through at
    /// least 10 rounds of both probes (bfs flapped between the two loops). One good check is
    /// enough to leave `Fail` here and `/info` rounds are six times as frequent as needle
    /// rounds, so only the needle verdict staying in force keeps the store `Fail`.
    @Test func failingNeedleProbeIsFailWithoutFlapping() async throws {
        let zk = try await ZooKeeperServer.start()
        defer { zk.stop() }
        let dir = TempDir()
        defer { dir.remove() }
        let observer = try PitchforkObserver(zk)
        defer { observer.close() }
        let store = try FakeStore(id: "go-2", volumes: [.init(id: 9, offset: 100), .init(id: 10, offset: 100)])
        defer { store.stop() }
        store.behaviour.with { $0.probeStatus = 500 }
        try await store.start(registeringWith: observer.client)
        let pitchfork = try PitchforkProcess(dir: dir, name: "p-1", zookeeper: zk.hosts, storeCheck: "50ms",
                                             needleCheck: "300ms", goodChecks: 1)
        try pitchfork.start()
        #expect(try await observer.waitFor(.fail, rack: "rack-go", id: "go-2", seconds: 15) != nil,
                "log:\n\(pitchfork.log.suffix(2000))")

        // The counter moves once the write has returned, a moment after the node changed.
        let failWrites = "bfs_pitchfork_status_changes_total{status=\"fail\"}"
        #expect(try await waitUntil(seconds: 5) { () async throws -> Bool in try pitchfork.metric(failWrites) == 1 })
        let start = store.behaviour.get
        let changes = try pitchfork.metric("bfs_pitchfork_status_changes_total")
        var seen: Set<UInt32> = []
        let rounds = try await waitUntil(seconds: 20, pollMilliseconds: 20) { () async throws -> Bool in
            if let status = await observer.status(rack: "rack-go", id: "go-2") { seen.insert(status.rawValue) }
            let now = store.behaviour.get
            // Two volumes per needle round.
            return now.probeHits - start.probeHits >= 20 && now.infoHits - start.infoHits >= 10
        }
        #expect(rounds, "the pitchfork stopped probing")
        #expect(seen == [StoreNode.Status.fail.rawValue])
        // Fail was written once and nothing was written since.
        #expect(try pitchfork.metric(failWrites) == 1)
        #expect(try pitchfork.metric("bfs_pitchfork_status_changes_total") == changes)
        #expect(try pitchfork.metric("bfs_pitchfork_probe_failures_total{probe=\"needle\"}") >= 20)

        // The store heals: Health again after the good checks.
        store.behaviour.with { $0.probeStatus = 200 }
        #expect(try await observer.waitFor(.health, rack: "rack-go", id: "go-2", seconds: 10) != nil)
    }
}
