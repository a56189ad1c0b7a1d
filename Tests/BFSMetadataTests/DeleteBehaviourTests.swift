@testable import BFSMetadata
import BFSCore
import Testing

/// Deletes and the tombstone bookkeeping the reaper uses, on both backends.
@Suite(.postgresServer) struct DeleteBehaviourTests {
    @Test(arguments: Backend.allCases)
    func deleteTombstonesTheNeedleUntilConfirmed(_ backend: Backend) async throws {
        try await MetadataFixture.with(backend) { fixture in
            let store = try fixture.store()
            _ = try await store.createBucket(NewBucket(name: "b"))
            let entry = Sample.entry(7, filename: "f")
            _ = try await store.upload(PlainUpload(entry: entry))
            #expect(try await store.delete(bucket: "b", filename: "f") == entry)
            await #expect(throws: MetadataError.notFound(bucket: "b", filename: "f")) { try await store.lookup(bucket: "b", filename: "f") }
            await #expect(throws: MetadataError.notFound(bucket: "b", filename: "f")) { try await store.delete(bucket: "b", filename: "f") }

            let now = SQLMetadataStore.now()
            let due = try await store.pendingTombstones(now: now, limit: 10)
            #expect(due.count == 1 && due.first?.needle == entry.needle && due.first?.attempts == 0)
            // A tombstoned key is still taken until every replica confirmed the delete.
            await #expect(throws: MetadataError.keyExists(7)) { try await store.allocate(Sample.allocation(7, filename: "g")) }

            try await store.postponeTombstone(key: 7, until: now + Sample.hour)
            #expect(try await store.pendingTombstones(now: now, limit: 10).isEmpty)
            let later = try await store.pendingTombstones(now: now + Sample.hour, limit: 10)
            #expect(later == [Tombstone(needle: entry.needle, attempts: 1, nextAttemptAt: now + Sample.hour)])

            try await store.confirmTombstone(key: 7)
            #expect(try await store.pendingTombstones(now: now + Sample.hour, limit: 10).isEmpty)
            await #expect(throws: MetadataError.tombstoneNotFound(7)) { try await store.confirmTombstone(key: 7) }
            await #expect(throws: MetadataError.tombstoneNotFound(7)) { try await store.postponeTombstone(key: 7, until: 0) }
            // Confirmed means gone: the key may be used again.
            try await store.allocate(Sample.allocation(7, filename: "g"))
        }
    }

    @Test(arguments: Backend.allCases)
    func theDatabaseRefusesAFileOnATombstonedNeedle(_ backend: Backend) async throws {
        try await MetadataFixture.with(backend) { fixture in
            let store = try fixture.store()
            _ = try await store.createBucket(NewBucket(name: "b"))
            _ = try await store.upload(PlainUpload(entry: Sample.entry(1, filename: "f")))
            _ = try await store.delete(bucket: "b", filename: "f")
            // Bypassing the operations: the composite foreign keys alone keep states exclusive.
            let connection = try fixture.connection()
            defer { connection.close() }
            #expect(throws: SQLFailure.self) {
                try connection.change("INSERT INTO files (bucket, filename, key, sha1, mime, size, mtime) VALUES ('b', 'g', 1, '', '', 0, 0)")
            }
            #expect(throws: SQLFailure.self) {
                try connection.change("INSERT INTO allocations (key, bucket, filename, expires_at) VALUES (1, 'b', 'g', 0)")
            }
            #expect(throws: SQLFailure.self) { try connection.change("UPDATE needles SET state = 1 WHERE key = 1") }
            _ = try await store.upload(PlainUpload(entry: Sample.entry(2, filename: "h")))
            #expect(throws: SQLFailure.self) { try connection.change("UPDATE needles SET state = 2 WHERE key = 2") }
        }
    }
}
