@testable import BFSMetadata
import BFSCore
import Testing

/// Commits and deletes that expect the filename's current row (`FileExpectation`), on both
/// backends: met, they act as without it; unmet, they fail `.expectationFailed` and change
/// nothing, also when another directory's write lands in between.
@Suite(.postgresServer) struct ExpectationBehaviourTests {
    @Test(arguments: Backend.allCases)
    func commitExpectingAKeyReplacesOnlyThatKey(_ backend: Backend) async throws {
        try await MetadataFixture.with(backend) { fixture in
            let store = try fixture.store()
            _ = try await store.createBucket(NewBucket(name: "b"))
            _ = try await store.upload(PlainUpload(entry: Sample.entry(1, filename: "f")))
            for key: NeedleKey in [2, 3] { try await store.allocate(Sample.allocation(key, filename: "f")) }
            var stale = Sample.commit(2)
            stale.expecting = .key(7)
            await #expect(throws: MetadataError.expectationFailed(bucket: "b", filename: "f")) { try await store.commit(stale) }
            #expect(try await store.lookup(bucket: "b", filename: "f").needle.key == 1)
            #expect(try await store.pendingTombstones(now: SQLMetadataStore.now(), limit: 10).isEmpty)
            // Nothing changed: the allocation is still pending, so the caller can abort it.
            try await store.abort(key: 2)

            var current = Sample.commit(3)
            current.expecting = .key(1)
            guard case .replaced(let entry, let previous) = try await store.commit(current) else {
                Issue.record("a commit expecting the current key replaces")
                return
            }
            #expect(entry.needle.key == 3 && previous == Sample.needle(1))
            #expect(try await store.lookup(bucket: "b", filename: "f").needle.key == 3)
        }
    }

    @Test(arguments: Backend.allCases)
    func commitExpectingAbsentCreatesOnly(_ backend: Backend) async throws {
        try await MetadataFixture.with(backend) { fixture in
            let store = try fixture.store()
            _ = try await store.createBucket(NewBucket(name: "b"))
            for key: NeedleKey in [1, 2] { try await store.allocate(Sample.allocation(key, filename: "f")) }
            var first = Sample.commit(1)
            first.expecting = .absent
            guard case .created = try await store.commit(first) else {
                Issue.record("a commit expecting no file creates it")
                return
            }
            var second = Sample.commit(2)
            second.expecting = .absent
            await #expect(throws: MetadataError.expectationFailed(bucket: "b", filename: "f")) { try await store.commit(second) }
            #expect(try await store.lookup(bucket: "b", filename: "f").needle.key == 1)
            try await store.abort(key: 2)
        }
    }

    @Test(arguments: Backend.allCases)
    func deleteExpectingAKeyDeletesOnlyThatKey(_ backend: Backend) async throws {
        try await MetadataFixture.with(backend) { fixture in
            let store = try fixture.store()
            _ = try await store.createBucket(NewBucket(name: "b"))
            let entry = Sample.entry(1, filename: "f")
            _ = try await store.upload(PlainUpload(entry: entry))
            let unmet = MetadataError.expectationFailed(bucket: "b", filename: "f")
            await #expect(throws: unmet) { try await store.delete(bucket: "b", filename: "f", expecting: .key(2)) }
            await #expect(throws: unmet) { try await store.delete(bucket: "b", filename: "f", expecting: .absent) }
            #expect(try await store.lookup(bucket: "b", filename: "f") == entry)
            #expect(try await store.pendingTombstones(now: SQLMetadataStore.now(), limit: 10).isEmpty)

            #expect(try await store.delete(bucket: "b", filename: "f", expecting: .key(1)) == entry)
            #expect(try await store.pendingTombstones(now: SQLMetadataStore.now(), limit: 10).map(\.needle) == [entry.needle])
            // Gone: expecting the old key fails; expecting nothing there is a plain not found.
            await #expect(throws: unmet) { try await store.delete(bucket: "b", filename: "f", expecting: .key(1)) }
            await #expect(throws: MetadataError.notFound(bucket: "b", filename: "f")) {
                try await store.delete(bucket: "b", filename: "f", expecting: .absent)
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func twoDirectoriesExpectingTheSameKeyCommitOnce(_ backend: Backend) async throws {
        try await MetadataFixture.with(backend) { fixture in
            let one = try fixture.store(), two = try fixture.store()
            _ = try await one.createBucket(NewBucket(name: "b"))
            _ = try await one.upload(PlainUpload(entry: Sample.entry(1, filename: "f")))
            for round: NeedleKey in 0..<10 {
                let current = try await one.lookup(bucket: "b", filename: "f").needle.key
                let (a, b) = (100 + 2 * round, 101 + 2 * round)
                try await one.allocate(Sample.allocation(a, filename: "f"))
                try await two.allocate(Sample.allocation(b, filename: "f"))
                var first = Sample.commit(a), second = Sample.commit(b)
                (first.expecting, second.expecting) = (.key(current), .key(current))
                let (c1, c2) = (first, second)
                async let x = Self.outcome { () async throws(MetadataError) in try await one.commit(c1) }
                async let y = Self.outcome { () async throws(MetadataError) in try await two.commit(c2) }
                let outcomes = await [x, y]
                let won = outcomes.compactMap { try? $0.get() }
                #expect(won.count == 1, "round \(round)")
                #expect(outcomes.contains {
                    if case .failure(.expectationFailed(bucket: "b", filename: "f")) = $0 { true } else { false }
                }, "round \(round)")
                #expect(try await one.lookup(bucket: "b", filename: "f").needle.key == won.first?.entry.needle.key)
            }
        }
    }

    private static func outcome(_ body: @Sendable () async throws(MetadataError) -> CommitOutcome) async -> Result<CommitOutcome, MetadataError> {
        do throws(MetadataError) { return .success(try await body()) } catch { return .failure(error) }
    }
}
