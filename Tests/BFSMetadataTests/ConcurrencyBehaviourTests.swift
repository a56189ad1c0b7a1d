@testable import BFSMetadata
import BFSCore
import BFSTestSupport
import Testing

/// Concurrent commits through several stores sharing one database, and group commit.
@Suite(.postgresServer) struct ConcurrencyBehaviourTests {
    @Test(arguments: Backend.allCases)
    func concurrentCommitsOfOneFilenameLeaveOneWinnerAndNoOrphan(_ backend: Backend) async throws {
        try await MetadataFixture.with(backend) { fixture in
            // Two directories on one database, each with several writer connections.
            let directories = [try fixture.store(), try fixture.store()]
            _ = try await directories[0].createBucket(NewBucket(name: "b"))
            let keys = Array(Int64(1)...40)
            for key in keys { try await directories[Int(key) % 2].allocate(Sample.allocation(key, filename: "same")) }

            let outcomes = try await withThrowingTaskGroup(of: CommitOutcome.self) { group in
                for key in keys { group.addTask { try await directories[Int(key) % 2].commit(Sample.commit(key)) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let created = outcomes.filter { if case .created = $0 { true } else { false } }
            let previous = outcomes.compactMap { if case .replaced(_, let old) = $0 { old.key } else { nil } }
            #expect(created.count == 1)
            #expect(previous.count == keys.count - 1)
            // Every key but the visible one was replaced exactly once and is a tombstone.
            let winner = try await directories[1].lookup(bucket: "b", filename: "same").needle.key
            #expect(Set(previous + [winner]) == Set(keys))
            let tombstones = try await directories[0].pendingTombstones(now: SQLMetadataStore.now(), limit: 100).map(\.needle.key)
            #expect(Set(tombstones) == Set(keys).subtracting([winner]))
            #expect(tombstones.count == keys.count - 1)
        }
    }

    @Test(arguments: Backend.allCases)
    func manyConcurrentWritesShareTransactions(_ backend: Backend) async throws {
        try await MetadataFixture.with(backend) { fixture in
            let store = try fixture.store(limits: .init(writers: 1))
            _ = try await store.createBucket(NewBucket(name: "b"))
            let before = store.executor.transactionCount
            let count = 200
            let done = Recorder<Result<Void, MetadataError>>()
            // Queued in one burst: the writer is busy with the first COMMIT while the rest arrive.
            for key in 1...count {
                store.allocate(Sample.allocation(Int64(key), filename: "f\(key)")) { done.record($0) }
            }
            let results = try await done.wait { $0.count == count }
            #expect(results.allSatisfy { (try? $0.get()) != nil })
            let transactions = store.executor.transactionCount - before
            print("\(backend): \(count) allocations in \(transactions) transactions")
            #expect(transactions < count)
            #expect(try await store.expiredAllocations(before: .max, limit: 1000).count == count)
        }
    }

    @Test(arguments: Backend.allCases)
    func aFailingCallFailsAloneInItsBatch(_ backend: Backend) async throws {
        try await MetadataFixture.with(backend) { fixture in
            let store = try fixture.store(limits: .init(writers: 1))
            _ = try await store.createBucket(NewBucket(name: "b"))
            let gate = Gate()
            let done = Recorder<(Int64, Result<Void, MetadataError>)>()
            // Hold the writer so the next four calls land in one batch.
            store.executor.write({ _ throws(MetadataError) in gate.wait() }, completion: { _ in })
            for (key, filename) in [(1, "a"), (1, "dup"), (2, "b"), (3, "c")] as [(Int64, String)] {
                let bucket = filename == "c" ? "missing" : "b"
                store.allocate(Sample.allocation(key, bucket: bucket, filename: filename)) { done.record((key, $0)) }
            }
            gate.open()
            let results = try await done.wait { $0.count == 4 }
            let failures = results.compactMap { item -> MetadataError? in if case .failure(let error) = item.1 { error } else { nil } }
            #expect(Set(failures.map(\.description)) == [MetadataError.keyExists(1).description, MetadataError.bucketNotFound("missing").description])
            #expect(try await store.expiredAllocations(before: .max, limit: 10).map(\.filename) == ["a", "b"])
            // The failed call to the missing bucket left no needle row behind.
            try await store.allocate(Sample.allocation(3, filename: "c"))
        }
    }

    @Test(arguments: Backend.allCases)
    func aFullQueueRefusesAtOnceAndAClosedStoreRefuses(_ backend: Backend) async throws {
        try await MetadataFixture.with(backend) { fixture in
            let store = try fixture.store(limits: .init(writers: 1, queueLimit: 2))
            let gate = Gate()
            let done = Recorder<Result<Bucket, MetadataError>>()
            store.executor.write({ _ throws(MetadataError) in gate.wait() }, completion: { _ in })
            // The held call may still be queued or already taken: one or two fit, the rest cannot.
            for index in 0..<4 { store.createBucket(NewBucket(name: "b\(index)")) { done.record($0) } }
            let refused = try await done.wait { $0.count >= 1 }
            #expect(refused.first.map { if case .failure(.overloaded) = $0 { true } else { false } } == true)
            gate.open()
            let all = try await done.wait { $0.count == 4 }
            let accepted = all.filter { (try? $0.get()) != nil }.count
            let overloaded = all.filter { if case .failure(.overloaded) = $0 { true } else { false } }.count
            // How many fit depends on when the writer takes the held call, and on how many queued
            // calls its group commit takes along with it; at least one is refused at once.
            #expect(accepted >= 1 && overloaded >= 1 && accepted + overloaded == 4)

            await store.close()
            await #expect(throws: MetadataError.closed) { try await store.bucket(named: "b0") }
            await #expect(throws: MetadataError.closed) { try await store.createBucket(NewBucket(name: "late")) }
        }
    }
}
