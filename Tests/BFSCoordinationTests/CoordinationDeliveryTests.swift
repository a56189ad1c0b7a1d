import BFSCoordination
import Dispatch
import Testing

/// Where callbacks run and what many callers at once see.
extension CoordinationBehaviourTests {
    @Test(arguments: Backend.allCases)
    func everyCallbackRunsThroughTheExecutor(_ backend: Backend) async throws {
        try await CoordinationFixture.with(backend) { fixture in
            let queue = DispatchQueue(label: "bfs.test.executor")
            let key = DispatchSpecificKey<Bool>()
            queue.setSpecific(key: key, value: true)
            let outside = Recorder<String>()
            let executor: CoordinationExecutor = { work in queue.async(execute: work) }
            let client: any Coordination = switch backend {
            case .embedded: try EmbeddedCoordination(tree: fixture.tree, root: fixture.root, executor: executor)
            case .zooKeeper: try ZooKeeperCoordination(hosts: fixture.server!.hosts, root: fixture.root, executor: executor)
            }
            defer { client.close(completion: nil) }
            let onQueue: @Sendable (String) -> Void = { what in if DispatchQueue.getSpecific(key: key) != true { outside.record(what) } }

            let sessions = Recorder<SessionEvent>()
            client.addSessionListener { event in onQueue("session"); sessions.record(event) }
            try await client.ensurePath("/")
            let watch = Recorder<WatchEvent>()
            let done = Recorder<String>()
            client.create("/x", data: [], mode: .persistent) { _ in onQueue("create"); done.record("create") }
            try await done.wait { $0.count == 1 }
            client.get("/x", watch: { event in onQueue("watch"); watch.record(event) }) { _ in onQueue("get"); done.record("get") }
            try await done.wait { $0.count == 2 }
            client.set("/x", data: [1], version: -1) { _ in onQueue("set"); done.record("set") }
            try await watch.wait { $0.count == 1 }
            try await done.wait { $0.count == 3 }
            try await sessions.wait { $0.contains(.connected) }
            #expect(outside.all.isEmpty)
        }
    }

    @Test(arguments: Backend.allCases)
    func concurrentSequentialCreatesGetDistinctNames(_ backend: Backend) async throws {
        try await CoordinationFixture.with(backend) { fixture in
            let first = try await fixture.client()
            let second = try await fixture.client()
            try await first.ensurePath("/workers")
            let names = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<100 {
                    let client = index.isMultiple(of: 2) ? first : second
                    group.addTask { try await client.create("/workers/w-", mode: [.ephemeral, .sequential]) }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(names.count == 100)
            #expect(try await first.children("/workers").count == 100)
            await second.close()
            #expect(try await first.children("/workers").count == 50)
        }
    }

    @Test(arguments: Backend.allCases)
    func callsInFlightAtCloseStillComplete(_ backend: Backend) async throws {
        try await CoordinationFixture.with(backend) { fixture in
            let client = try await fixture.client()
            let results = Recorder<Result<String, CoordinationError>>()
            for index in 0..<50 {
                client.create("/n\(index)", data: [], mode: .ephemeral) { results.record($0) }
            }
            await client.close()
            let all = try await results.wait { $0.count >= 50 }
            // Each completion runs once: created before the close, or refused as closed.
            #expect(all.count == 50)
            for result in all {
                switch result {
                case .success(let path): #expect(path.hasPrefix("/n"))
                case .failure(let error): #expect(error == .closed)
                }
            }
            await #expect(throws: CoordinationError.closed) { try await client.create("/late") }
        }
    }
}
