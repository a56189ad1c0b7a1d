import BFSTestSupport
import Testing

/// A suite trait that starts one ZooKeeper server for the whole suite and stops it at the end.
///
/// Tests reach it through `ZooKeeperServer.shared` and isolate themselves with a unique root
/// prefix. A failed start is kept and thrown by each test that asks for the server, so the
/// embedded cases still run and every ZooKeeper case fails with the instruction.
struct SharedZooKeeperServer: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let server: Result<ZooKeeperServer, any Error>
        do { server = .success(try await ZooKeeperServer.start()) } catch { server = .failure(error) }
        try await ZooKeeperServer.$current.withValue(server) { try await function() }
        try? server.get().stop()
    }
}

extension Trait where Self == SharedZooKeeperServer {
    /// One real ZooKeeper server for the suite (see `SharedZooKeeperServer`).
    static var zooKeeperServer: SharedZooKeeperServer { SharedZooKeeperServer() }
}

extension ZooKeeperServer {
    /// The suite's server, set by `SharedZooKeeperServer`.
    @TaskLocal static var current: Result<ZooKeeperServer, any Error>?

    /// The suite's server, or the reason it is missing.
    static func shared() throws -> ZooKeeperServer {
        guard let current else {
            throw ZooKeeperServer.StartError(description: "no ZooKeeper server: add the .zooKeeperServer trait to the suite")
        }
        return try current.get()
    }
}
