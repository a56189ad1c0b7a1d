import BFSCoordination
import BFSTestSupport
import Dispatch
import Foundation
import Testing

/// Which coordination implementation a cluster-view test runs against.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case embedded
    case zooKeeper

    var testDescription: String { rawValue }
}

/// Coordination clients for one test: sessions on one embedded tree, or on a ZooKeeper server
/// started for the test, all under a fresh root.
final class ClusterFixture: Sendable {
    let backend: Backend
    let root = "/t-\(UUID().uuidString)"
    let tree = EmbeddedTree()
    let server: ZooKeeperServer?
    private let clients = Locked<[any Coordination]>([])

    private init(_ backend: Backend, server: ZooKeeperServer?) {
        self.backend = backend
        self.server = server
    }

    /// Runs `body` with a fixture; closes its clients and stops its server whatever happens.
    static func with(_ backend: Backend, _ body: (ClusterFixture) async throws -> Void) async throws {
        let fixture = ClusterFixture(backend, server: backend == .zooKeeper ? try await ZooKeeperServer.start() : nil)
        let result: Result<Void, any Error>
        do { result = .success(try await body(fixture)) } catch { result = .failure(error) }
        for client in fixture.clients.get { await client.close() }
        fixture.server?.stop()
        try result.get()
    }

    /// A new session under the test's root, its events on a serial queue of its own.
    func client() async throws -> any Coordination {
        let queue = DispatchQueue(label: "bfs.test.cluster")
        let executor: CoordinationExecutor = { queue.async(execute: $0) }
        let client: any Coordination = switch backend {
        case .embedded: try EmbeddedCoordination(tree: tree, root: root, executor: executor)
        case .zooKeeper: try ZooKeeperCoordination(hosts: server!.hosts, root: root, sessionTimeout: .seconds(4), executor: executor)
        }
        clients.with { $0.append(client) }
        try await client.ensurePath("/")
        return client
    }

    /// Makes the service expire `client`'s session.
    func expire(_ client: any Coordination) async {
        if let embedded = client as? EmbeddedCoordination {
            embedded.expire()
        } else if let zooKeeper = client as? ZooKeeperCoordination {
            await withCheckedContinuation { continuation in zooKeeper.expireSessionForTesting { continuation.resume() } }
        }
    }
}

/// `waitUntil` in its async form: a plain closure would pick the overload that sleeps the
/// thread, starving the cooperative pool the view's rebuild tasks run on.
func eventually(seconds: Double = 10, _ condition: () -> Bool) async throws -> Bool {
    try await waitUntil(seconds: seconds) { () async -> Bool in condition() }
}
