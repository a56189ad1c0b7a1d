@testable import BFSMetadata
import BFSCore
import BFSTestSupport
import Testing

/// Two directories whose batches lock the same file rows in opposite orders (PostgreSQL only:
/// SQLite has one writer at a time, so its batches cannot interleave).
@Suite(.postgresServer) struct DeadlockTests {
    @Test func crossedBatchesOfTwoDirectoriesBothCommit() async throws {
        try await MetadataFixture.with(.postgres) { fixture in
            let a = try fixture.store(limits: .init(writers: 1))
            let b = try fixture.store(limits: .init(writers: 1))
            _ = try await a.createBucket(NewBucket(name: "b"))
            _ = try await a.upload(PlainUpload(entry: Sample.entry(100, filename: "F")))
            _ = try await a.upload(PlainUpload(entry: Sample.entry(200, filename: "G")))
            for (key, filename) in [(1, "F"), (2, "G"), (3, "G"), (4, "F")] as [(Int64, String)] {
                try await a.allocate(Sample.allocation(key, filename: filename))
            }
            let done = Recorder<(NeedleKey, Result<CommitOutcome, MetadataError>)>()
            // Batch on a: commit F, pause, commit G. Batch on b: commit G, pause, commit F.
            let holds = [Gate(), Gate()]
            let pauses = [Gate(), Gate()]
            for (index, (store, keys)) in [(a, (Int64(1), Int64(2))), (b, (Int64(3), Int64(4)))].enumerated() {
                store.executor.write({ _ throws(MetadataError) in holds[index].wait() }, completion: { _ in })
                #expect(try await waitUntil { holds[index].entered })
                store.commit(Sample.commit(keys.0)) { done.record((keys.0, $0)) }
                store.executor.write({ _ throws(MetadataError) in pauses[index].wait() }, completion: { _ in })
                store.commit(Sample.commit(keys.1)) { done.record((keys.1, $0)) }
            }
            holds.forEach { $0.open() }
            // Each batch holds its first file row; opening both pauses crosses the second locks.
            #expect(try await waitUntil { pauses.allSatisfy(\.entered) })
            pauses.forEach { $0.open() }

            let results = try await done.wait { $0.count == 4 }
            for (key, result) in results { #expect((try? result.get()) != nil, "commit \(key): \(result)") }
            let f = try await a.lookup(bucket: "b", filename: "F").needle.key
            let g = try await a.lookup(bucket: "b", filename: "G").needle.key
            #expect([1, 4].contains(f) && [2, 3].contains(g))
            let tombstones = try await a.pendingTombstones(now: SQLMetadataStore.now(), limit: 10).map(\.needle.key)
            #expect(Set(tombstones) == Set([100, 200, 1, 2, 3, 4]).subtracting([f, g]))
        }
    }
}
