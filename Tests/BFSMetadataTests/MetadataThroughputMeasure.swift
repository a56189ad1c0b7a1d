@testable import BFSMetadata
import BFSCore
import BFSTestSupport
import Foundation
import Testing

/// Opt-in measurement (`BFS_MEASURE=1`), never a timed assertion: durable two-phase uploads
/// (allocate + commit) from 32 concurrent callers, on SQLite (WAL, synchronous=FULL, on disk)
/// and on a PostgreSQL started with fsync on. Prints commits per second; asserts only that
/// every upload succeeded and is visible.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["BFS_MEASURE"] == "1"))
struct MetadataThroughputMeasure {
    static let callers = 32
    static let seconds = 5.0

    @Test func sqliteDurableCommits() async throws {
        let temp = TempDir("meta-measure")
        defer { temp.remove() }
        let store = try SQLMetadataStore.sqlite(path: temp.file("metadata.db"))
        try await Self.measure(store, label: "sqlite (WAL, synchronous=FULL)")
        await store.close()
    }

    @Test func postgresDurableCommits() async throws {
        let server = try await PostgresServer.start(durable: true)
        defer { server.stop() }
        let database = try await server.createDatabase()
        let store = try SQLMetadataStore.postgres(conninfo: server.conninfo(database: database))
        try await Self.measure(store, label: "postgres (fsync=on, synchronous_commit=on)")
        await store.close()
    }

    /// Runs `callers` loops of allocate + commit for `seconds`, then prints the rate.
    static func measure(_ store: SQLMetadataStore, label: String) async throws {
        _ = try await store.createBucket(NewBucket(name: "measure"))
        let before = store.executor.transactionCount
        let start = monotonicSeconds()
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for caller in 0..<callers {
                group.addTask {
                    var done = 0
                    while monotonicSeconds() - start < seconds {
                        // Disjoint key ranges per caller: no shared counter needed.
                        let key = Int64(caller) << 32 | Int64(done + 1)
                        try await store.allocate(Sample.allocation(key, bucket: "measure", filename: "c\(caller)/\(key)"))
                        _ = try await store.commit(Sample.commit(key))
                        done += 1
                    }
                    return done
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = monotonicSeconds() - start
        let transactions = store.executor.transactionCount - before
        print(String(format: "%@: %d callers, %d allocate+commit in %.2f s = %.0f commits/s; %d transactions (%.1f calls each)",
                     label, callers, counts, elapsed, Double(counts) / elapsed, transactions,
                     Double(2 * counts) / Double(max(1, transactions))))
        #expect(counts > 0)
        #expect(try await store.listFiles(bucket: "measure", prefix: "c0/", limit: 1).entries.count == 1)
    }
}
