import BFSTestSupport
import BFSCoordination
import Dispatch
import Foundation
import Synchronization
import Testing

/// Which implementation a behavioural test runs against.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case embedded
    case zooKeeper

    var testDescription: String { rawValue }
}

/// Clients for one test on one backend, all under a fresh root so tests sharing a server
/// cannot see each other. Embedded clients share one tree, as processes share one ZooKeeper.
final class CoordinationFixture: Sendable {
    let backend: Backend
    /// The test's own root prefix, e.g. "/t-6F1C...".
    let root = "/t-\(UUID().uuidString)"
    let tree = EmbeddedTree()
    let server: ZooKeeperServer?
    private let clients = Mutex<[any Coordination]>([])

    init(_ backend: Backend, server: ZooKeeperServer? = nil) throws {
        self.backend = backend
        self.server = backend == .zooKeeper ? try server ?? ZooKeeperServer.shared() : nil
    }

    /// Runs `body` with a fixture and closes every client it made, whatever happens.
    static func with(_ backend: Backend, server: ZooKeeperServer? = nil,
                     _ body: (CoordinationFixture) async throws -> Void) async throws {
        let fixture = try CoordinationFixture(backend, server: server)
        do {
            try await body(fixture)
        } catch {
            await fixture.closeAll()
            throw error
        }
        await fixture.closeAll()
    }

    /// A new client (own session, own serial queue as executor) under `root` (default: the
    /// test's root, created if missing).
    func client(root: String? = nil) async throws -> any Coordination {
        let queue = DispatchQueue(label: "bfs.test.coordination")
        let executor: CoordinationExecutor = { queue.async(execute: $0) }
        let client: any Coordination
        switch backend {
        case .embedded:
            client = try EmbeddedCoordination(tree: tree, root: root ?? self.root, executor: executor)
        case .zooKeeper:
            client = try ZooKeeperCoordination(hosts: server!.hosts, root: root ?? self.root,
                                               sessionTimeout: .seconds(4), executor: executor)
        }
        clients.withLock { $0.append(client) }
        try await client.ensurePath("/")
        return client
    }

    /// Makes the service expire `client`'s session (embedded hook, or a twin ZooKeeper session).
    func expire(_ client: any Coordination) async {
        if let embedded = client as? EmbeddedCoordination {
            embedded.expire()
        } else if let zooKeeper = client as? ZooKeeperCoordination {
            await withCheckedContinuation { continuation in zooKeeper.expireSessionForTesting { continuation.resume() } }
        }
    }

    func closeAll() async {
        for client in clients.withLock({ $0 }) { await client.close() }
    }
}

/// Collects values handed over by callbacks; `wait` polls until enough arrived.
final class Recorder<T: Sendable>: Sendable {
    private let items = Mutex<[T]>([])

    var all: [T] { items.withLock { $0 } }

    func record(_ item: T) { items.withLock { $0.append(item) } }

    /// Waits until `predicate` holds for the recorded items (fails the test after `timeout`).
    @discardableResult
    func wait(timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation,
              until predicate: ([T]) -> Bool) async throws -> [T] {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            let current = all
            if predicate(current) { return current }
            try await Task.sleep(for: .milliseconds(10))
        }
        let current = all
        Issue.record("condition not met; recorded: \(current)", sourceLocation: sourceLocation)
        return current
    }
}
