import BFSCore
@testable import BFSDirectory
import BFSMetadata
import BFSTestSupport
import Foundation
import Testing

/// Two-phase uploads, overwrites and deletes end with the needles gone from every replica
/// (DESIGN.md §5): the reaper aborts expired allocations and retries tombstones until every
/// store confirmed.
@Suite struct ReaperTests {
    /// A harness over a fresh SQLite database with bucket "b".
    private func withSQLite(_ body: (DirectoryHarness, any MetadataStore) async throws -> Void) async throws {
        let temp = TempDir("directory")
        defer { temp.remove() }
        let metadata = try SQLMetadataStore.sqlite(path: temp.file("metadata.db"))
        _ = try await metadata.createBucket(NewBucket(name: "b"))
        let harness = try DirectoryHarness(metadata: metadata)
        defer { harness.stop() }
        try await body(harness, metadata)
        await metadata.close()
    }

    @Test func allocationNeverCommittedIsDeletedOnEveryStoreAfterTheTimeout() async throws {
        try await withSQLite { harness, metadata in
            let (key, allocate, _) = try harness.upload("cat.png", commit: false)
            #expect(allocate.ret == 1)
            #expect((allocate.json["stores"] as? [String])?.count == 2)

            // Before the timeout nothing is touched.
            await harness.reaper.round()
            #expect(harness.stores.allSatisfy { $0.deleted.isEmpty })

            harness.advance(.seconds(61))
            await harness.reaper.round()
            for store in harness.stores { #expect(store.deleted == [key]) }
            #expect(try await metadata.expiredAllocations(before: farFuture, limit: 10).isEmpty)
            #expect(try await metadata.pendingTombstones(now: farFuture, limit: 10).isEmpty)
            // The allocation can no longer be committed.
            let late = try harness.endpoint.postForm("/commit", [("key", "\(key)"), ("sha1", "x"), ("size", "1"), ("mtime", "1")])
            #expect(late.ret == Ret.needleNotExist.rawValue)
        }
    }

    @Test func deleteWithOneReplicaDownIsRetriedUntilEveryReplicaConfirmed() async throws {
        try await withSQLite { harness, metadata in
            let (key, _, commit) = try harness.upload("dog.png")
            #expect(commit?.ret == 1)
            let del = try harness.endpoint.postForm("/del", [("bucket", "b"), ("filename", "dog.png")])
            #expect(del.ret == 1)
            #expect((del.json["key"] as? NSNumber)?.int64Value == key)

            harness.stores[1].failing.with { $0 = true }
            await harness.reaper.round()
            #expect(harness.stores[0].deleted == [key])
            #expect(harness.stores[1].deleted.isEmpty)
            let waiting = try await metadata.pendingTombstones(now: farFuture, limit: 10)
            #expect(waiting.map(\.needle.key) == [key])
            #expect(waiting.first?.attempts == 1)

            // Not due again yet: no new round of calls.
            await harness.reaper.round()
            #expect(harness.stores[0].deleted == [key])

            harness.stores[1].failing.with { $0 = false }
            harness.advance(.seconds(3601))
            await harness.reaper.round()
            #expect(harness.stores[1].deleted == [key])
            #expect(try await metadata.pendingTombstones(now: farFuture, limit: 10).isEmpty)
            #expect(try harness.endpoint.get("/get?bucket=b&filename=dog.png").ret == Ret.needleNotExist.rawValue)
        }
    }

    @Test func overwriteCommitsANewKeyAndTheOldNeedleIsDeleted() async throws {
        try await withSQLite { harness, metadata in
            let first = try harness.upload("a.png")
            #expect(first.commit?.json["outcome"] as? String == "created")
            let second = try harness.upload("a.png")
            #expect(second.commit?.json["outcome"] as? String == "replaced")
            #expect(second.key != first.key)

            let get = try harness.endpoint.get("/get?bucket=b&filename=a.png")
            #expect(get.ret == 1)
            #expect((get.json["key"] as? NSNumber)?.int64Value == second.key)
            await harness.reaper.round()
            for store in harness.stores { #expect(store.deleted == [first.key]) }
            #expect(try await metadata.pendingTombstones(now: farFuture, limit: 10).isEmpty)
        }
    }

    @Test func retryDelayDoublesUpToTheCap() async throws {
        try await withSQLite { harness, _ in
            let hour: Int64 = 3_600_000_000_000
            #expect(harness.reaper.retryDelay(attempts: 0) == hour)
            #expect(harness.reaper.retryDelay(attempts: 1) == 2 * hour)
            #expect(harness.reaper.retryDelay(attempts: 40) == 2 * hour)
        }
    }
}
