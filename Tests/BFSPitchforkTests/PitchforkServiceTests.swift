import BFSCluster
import BFSCoordination
import BFSCore
import BFSTestSupport
import Dispatch
import Foundation
import Testing
@testable import BFSPitchfork

/// The whole service in-process on the embedded tree (the form `bfs up` would run).
@Suite struct PitchforkServiceTests {
    /// Runs blocking start/stop work on a thread of its own, never on the cooperative pool.
    func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    @Test func unreachableStoreIsFailAndTwoPitchforksShareTheWork() async throws {
        let tree = EmbeddedTree()
        let queue = DispatchQueue(label: "bfs.test.pitchfork.service")
        let zk = try EmbeddedCoordination(tree: tree, executor: { queue.async(execute: $0) })
        defer { zk.close(completion: nil) }
        // Port 1 refuses connections at once: an unreachable store.
        for id in ["s-1", "s-2"] {
            let node = StoreNode(stat: "127.0.0.1:1", admin: "127.0.0.1:1", api: "127.0.0.1:1", id: id, rack: "r", status: .health)
            try await zk.ensurePath(ZnodeLayout.store(rack: "r", id: id))
            try await zk.set(ZnodeLayout.store(rack: "r", id: id), data: node.jsonBytes())
        }
        var settings = PitchforkSettings()
        settings.storeCheckInterval = .milliseconds(100)
        settings.statListen = HostPort(host: "127.0.0.1", port: 0)
        let first = PitchforkService(settings: settings, coordination: .embedded(tree))
        let port = try await offPool { try first.start() }

        func status(_ id: String) async -> StoreNode.Status? {
            guard let data = try? await zk.get(ZnodeLayout.store(rack: "r", id: id)).data else { return nil }
            return (try? JSONDecoder().decode(StoreNode.self, from: Data(data)))?.status
        }
        #expect(try await waitUntil { () async throws -> Bool in
            let one = await status("s-1"), two = await status("s-2")
            return one == .fail && two == .fail
        })
        #expect(first.owned.stores.map(\.id) == ["s-1", "s-2"])
        let ping = try await offPool { try TestHTTPEndpoint(port: port).get("/ping").status }
        #expect(ping == 200)
        let metrics = try await offPool { try TestHTTPEndpoint(port: port).get("/metrics").text }
        #expect(metrics.contains("bfs_pitchfork_probe_failures_total{probe=\"info\"}"))

        // A second pitchfork: one store each.
        let second = PitchforkService(settings: settings, coordination: .embedded(tree))
        try await offPool { try second.start() }
        #expect(try await waitUntil { () async throws -> Bool in
            first.owned.stores.count == 1 && second.owned.stores.count == 1
                && Set(first.owned.stores.map(\.id) + second.owned.stores.map(\.id)) == ["s-1", "s-2"]
        })

        // Leaving removes the member node at once; the other takes everything back.
        try await offPool { first.stop() }
        #expect(try await waitUntil { () async throws -> Bool in second.owned.stores.count == 2 })
        let members = try await zk.children(ZnodeLayout.pitchforks)
        #expect(members.count == 1)
        try await offPool { second.stop() }
    }
}
