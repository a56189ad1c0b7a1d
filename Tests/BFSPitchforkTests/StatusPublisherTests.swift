import BFSCluster
import BFSCoordination
import BFSTestSupport
import Dispatch
import Foundation
import Logging
import Testing
@testable import BFSPitchfork

/// The pitchfork's coordination writes (`StatusPublisher`) on the embedded tree, which has
/// ZooKeeper's semantics (versions, sequential and ephemeral nodes, watches).
@Suite struct StatusPublisherTests {
    func client(_ tree: EmbeddedTree) throws -> EmbeddedCoordination {
        let queue = DispatchQueue(label: "bfs.test.pitchfork")
        return try EmbeddedCoordination(tree: tree, executor: { queue.async(execute: $0) })
    }

    @Test func statusIsWrittenIntoTheStoreJSONAndRackIsBumped() async throws {
        let zk = try client(EmbeddedTree())
        let node = StoreNode(stat: "127.0.0.1:1", admin: "127.0.0.1:2", api: "127.0.0.1:3", id: "s-1", rack: "r", status: .initial)
        try await zk.ensurePath("/rack/r/s-1")
        try await zk.set("/rack/r/s-1", data: node.jsonBytes())
        let rackVersion = try await zk.get("/rack").stat.version
        let publisher = StatusPublisher(coordination: zk)

        #expect(try await publisher.publish(status: .health, rack: "r", id: "s-1") == .written)
        var expected = node
        expected.status = .health
        #expect(try await zk.get("/rack/r/s-1").data == expected.jsonBytes())
        #expect(try await zk.get("/rack").stat.version == rackVersion + 1, "directories are woken")
        #expect(try await publisher.publish(status: .health, rack: "r", id: "s-1") == .unchanged)
        #expect(try await zk.get("/rack").stat.version == rackVersion + 1, "no bump without a change")
    }

    @Test func storeWithoutJSONIsLeftAlone() async throws {
        let zk = try client(EmbeddedTree())
        let publisher = StatusPublisher(coordination: zk)
        #expect(try await publisher.publish(status: .fail, rack: "r", id: "gone") == .missing)
        try await zk.ensurePath("/rack/r/new")
        #expect(try await publisher.publish(status: .fail, rack: "r", id: "new") == .missing)
        #expect(try await zk.get("/rack/r/new").data.isEmpty)
    }

    /// bfs's pitchfork failed when ops had not created `/volume/<vid>` yet.
    @Test func volumeNodesAreCreatedWhenMissing() async throws {
        let zk = try client(EmbeddedTree())
        let publisher = StatusPublisher(coordination: zk)
        let state = VolumeState(totalWriteProcessed: 1, totalWriteDelay: 2, freeSpace: 3)
        // The node's first version must already carry the state (a bfs directory fails its
        // sync on an empty /volume/<vid>): version 0 means no set followed an empty create.
        try await publisher.publish(states: [4: state], store: "s-1")
        #expect(try await zk.get("/volume/4").stat.version == 0, "created with its data, never set after an empty create")
        #expect(try await zk.get("/volume/4/s-1").stat.version == 0)
        #expect(try await zk.get("/volume/4").data == state.jsonBytes())
        #expect(try await zk.get("/volume/4/s-1").data == state.jsonBytes())
        // The next write sets the existing nodes.
        let next = VolumeState(totalWriteProcessed: 2, totalWriteDelay: 2, freeSpace: 2)
        try await publisher.publish(states: [4: next], store: "s-1")
        #expect(try await zk.get("/volume/4/s-1").data == next.jsonBytes())
    }

    /// Joining creates `/pitchfork` when missing; the cluster view lists the members.
    @Test func joinedPitchforksAreListedByTheClusterView() async throws {
        let tree = EmbeddedTree()
        let first = try client(tree), second = try client(tree)
        let a = try await StatusPublisher(coordination: first).join()
        let b = try await StatusPublisher(coordination: second).join()
        #expect(a.hasPrefix("/pitchfork/") && b.hasPrefix("/pitchfork/") && a != b)
        let view = ClusterView(coordination: try client(tree), logger: Logger(label: "test"))
        view.start()
        defer { view.stop() }
        let names = [a, b].map { String($0.dropFirst("/pitchfork/".count)) }.sorted()
        #expect(try await waitUntil { () async throws -> Bool in view.snapshot.pitchforks == names })
        second.close(completion: nil)
        #expect(try await waitUntil { () async throws -> Bool in view.snapshot.pitchforks == [names[0]] }, "an ended session leaves the list")
    }
}
