import BFSTestSupport
import BFSCoordination
import Foundation
import Testing

/// Registration of a real `bfs store` in a real ZooKeeper (DESIGN.md §4.8, reference §1.12).
@Suite(.serialized) struct StoreCoordinationTests {
    /// Reads znodes with our own client (tested against ZooKeeper in BFSCoordinationTests).
    func reader(_ zk: ZooKeeperServer, root: String = "") throws -> ZooKeeperCoordination {
        try ZooKeeperCoordination(hosts: zk.hosts, root: root, sessionTimeout: .seconds(4)) { work in work() }
    }

    func data(_ zk: ZooKeeperCoordination, _ path: String) async -> String? {
        guard let node = try? await zk.get(path) else { return nil }
        return String(decoding: node.data, as: UTF8.self)
    }

    @Test func volumesAndStoreAppearWithTheBfsLayout() async throws {
        let zk = try await ZooKeeperServer.start()
        let dir = TempDir()
        let store = try StoreProcess(dir: dir, id: "s-1", rack: "r1", zookeeper: zk.hosts)
        try store.start()
        try store.provision(vid: 3)
        let client = try reader(zk)
        defer { client.close(completion: nil) }

        let json = await data(client, "/rack/r1/s-1")
        #expect(json == #"{"stat":"127.0.0.1:\#(store.stat)","admin":"127.0.0.1:\#(store.admin)","api":"127.0.0.1:\#(store.api)","id":"s-1","rack":"r1","status":0}"#)
        let volume = await data(client, "/rack/r1/s-1/3")
        #expect(volume?.hasSuffix(",3") == true)
        #expect(volume?.hasPrefix(store.dataDir + "/3_0,") == true, "\(volume ?? "nil")")
        #expect(try await client.exists("/live/s-1") != nil)

        // Pitchfork's status survives a store restart (the store keeps what it finds).
        let health = #"{"stat":"x","admin":"x","api":"x","id":"s-1","rack":"r1","status":2147483651}"#
        _ = try await client.set("/rack/r1/s-1", data: Array(health.utf8))
        store.terminate()
        #expect(try await waitUntil(pollMilliseconds: 50) { try await client.exists("/live/s-1") == nil }, "live node withdrawn at stop")
        try store.start()
        #expect(await data(client, "/rack/r1/s-1")?.hasSuffix(#""status":2147483651}"#) == true)
    }

    @Test func rootPrefixIsolatesClusters() async throws {
        let zk = try await ZooKeeperServer.start()
        let dir = TempDir()
        let store = try StoreProcess(dir: dir, id: "s-2", rack: "r1", zookeeper: zk.hosts, root: "/cluster-b")
        try store.start()
        try store.provision(vid: 1)
        let client = try reader(zk)
        defer { client.close(completion: nil) }
        #expect(try await client.exists("/cluster-b/rack/r1/s-2/1") != nil)
        #expect(try await client.exists("/rack") == nil)
    }

    /// ZooKeeper is replaced by an empty one on the same port: the store's session is unknown
    /// there (expired), and everything it registered is gone. It must come back by itself.
    @Test func sessionExpiryEndsWithTheStoreRegisteredAgain() async throws {
        let zk = try await ZooKeeperServer.start()
        let dir = TempDir()
        let store = try StoreProcess(dir: dir, id: "s-3", rack: "r1", zookeeper: zk.hosts)
        try store.start()
        try store.provision(vid: 5)
        zk.stop()
        try zk.wipeData()
        try await zk.launch()
        let client = try reader(zk)
        defer { client.close(completion: nil) }
        let back = try await waitUntil(seconds: 30, pollMilliseconds: 50) {
            let live = try await client.exists("/live/s-3") != nil
            let volume = try await client.exists("/rack/r1/s-3/5") != nil
            return live && volume
        }
        #expect(back, "store did not re-register; log:\n\(store.process?.log.suffix(2000) ?? "")")
        #expect(await data(client, "/rack/r1/s-3")?.contains(#""id":"s-3""#) == true)
        // And it still serves.
        #expect(try store.upload(vid: 5, key: 1, cookie: 1, data: [9]).ret == 1)
    }
}
