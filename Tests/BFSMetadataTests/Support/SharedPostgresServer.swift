import BFSTestSupport
import Testing

/// A suite trait that starts one PostgreSQL server for the whole suite and stops it at the end.
///
/// Tests isolate themselves with a database each. A failed start is kept and thrown by each test
/// that asks for the server, so the SQLite cases still run and every PostgreSQL case fails with
/// the install instruction.
struct SharedPostgresServer: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let server: Result<PostgresServer, any Error>
        do { server = .success(try await PostgresServer.start()) } catch { server = .failure(error) }
        try await PostgresServer.$current.withValue(server) { try await function() }
        try? server.get().stop()
    }
}

extension Trait where Self == SharedPostgresServer {
    /// One real PostgreSQL server for the suite (see `SharedPostgresServer`).
    static var postgresServer: SharedPostgresServer { SharedPostgresServer() }
}

extension PostgresServer {
    /// The suite's server, set by `SharedPostgresServer`.
    @TaskLocal static var current: Result<PostgresServer, any Error>?

    /// The suite's server, or the reason it is missing.
    static func shared() throws -> PostgresServer {
        guard let current else {
            throw PostgresServer.StartError(description: "no PostgreSQL server: add the .postgresServer trait to the suite")
        }
        return try current.get()
    }
}
