@testable import BFSMetadata
import BFSCore
import Testing

/// Two-phase and plain uploads, lookup and listing on both backends.
@Suite(.postgresServer) struct UploadBehaviourTests {
    @Test(arguments: Backend.allCases)
    func commitCreatesThenReplacesAndTombstonesTheOldNeedle(_ backend: Backend) async throws {
        try await MetadataFixture.with(backend) { fixture in
            let store = try fixture.store()
            _ = try await store.createBucket(NewBucket(name: "b"))
            try await store.allocate(Sample.allocation(1, filename: "cat.png"))
            // Pending is invisible: the old version (here none) stays what readers see.
            await #expect(throws: MetadataError.notFound(bucket: "b", filename: "cat.png")) {
                try await store.lookup(bucket: "b", filename: "cat.png")
            }
            let created = try await store.commit(Sample.commit(1, size: 100))
            let first = FileEntry(bucket: "b", filename: "cat.png", needle: Sample.needle(1), sha1: Sample.commit(1).sha1,
                                  mime: "image/png", size: 100, mtime: Sample.commit(1).mtime)
            #expect(created == .created(first))
            #expect(try await store.lookup(bucket: "b", filename: "cat.png") == first)

            try await store.allocate(Sample.allocation(2, filename: "cat.png"))
            var second = Sample.commit(2, size: 200)
            second.mime = "image/webp"
            let replaced = try await store.commit(second)
            #expect(replaced == .replaced(FileEntry(bucket: "b", filename: "cat.png", needle: Sample.needle(2), sha1: second.sha1,
                                                    mime: "image/webp", size: 200, mtime: second.mtime),
                                          previous: Sample.needle(1)))
            #expect(try await store.lookup(bucket: "b", filename: "cat.png").needle == Sample.needle(2))
            let due = try await store.pendingTombstones(now: SQLMetadataStore.now(), limit: 10)
            #expect(due.map(\.needle) == [Sample.needle(1)])
        }
    }

    @Test(arguments: Backend.allCases)
    func commitAndAbortRequireAPendingAllocation(_ backend: Backend) async throws {
        try await MetadataFixture.with(backend) { fixture in
            let store = try fixture.store()
            _ = try await store.createBucket(NewBucket(name: "b"))
            await #expect(throws: MetadataError.allocationNotPending(9)) { try await store.commit(Sample.commit(9)) }
            await #expect(throws: MetadataError.allocationNotPending(9)) { try await store.abort(key: 9) }
            await #expect(throws: MetadataError.bucketNotFound("nope")) {
                try await store.allocate(Sample.allocation(5, bucket: "nope", filename: "f"))
            }

            try await store.allocate(Sample.allocation(1, filename: "f"))
            await #expect(throws: MetadataError.keyExists(1)) { try await store.allocate(Sample.allocation(1, filename: "g")) }
            _ = try await store.commit(Sample.commit(1))
            await #expect(throws: MetadataError.allocationNotPending(1)) { try await store.commit(Sample.commit(1)) }
            await #expect(throws: MetadataError.allocationNotPending(1)) { try await store.abort(key: 1) }

            try await store.allocate(Sample.allocation(2, filename: "f"))
            try await store.abort(key: 2)
            await #expect(throws: MetadataError.allocationNotPending(2)) { try await store.commit(Sample.commit(2)) }
            await #expect(throws: MetadataError.allocationNotPending(2)) { try await store.abort(key: 2) }
            // The aborted needle is a tombstone; the committed file is untouched.
            #expect(try await store.pendingTombstones(now: SQLMetadataStore.now(), limit: 10).map(\.needle.key) == [2])
            #expect(try await store.lookup(bucket: "b", filename: "f").needle.key == 1)
        }
    }

    @Test(arguments: Backend.allCases)
    func expiredAllocationsAreListedOldestFirst(_ backend: Backend) async throws {
        try await MetadataFixture.with(backend) { fixture in
            let store = try fixture.store()
            _ = try await store.createBucket(NewBucket(name: "b"))
            try await store.allocate(Sample.allocation(3, filename: "late", expiresAt: 3_000))
            try await store.allocate(Sample.allocation(1, filename: "early", expiresAt: 1_000))
            try await store.allocate(Sample.allocation(2, filename: "future", expiresAt: 9_000))
            let expired = try await store.expiredAllocations(before: 3_000, limit: 10)
            #expect(expired == [Sample.allocation(1, filename: "early", expiresAt: 1_000),
                                Sample.allocation(3, filename: "late", expiresAt: 3_000)])
            #expect(try await store.expiredAllocations(before: 3_000, limit: 1).map(\.needle.key) == [1])
            for allocation in expired { try await store.abort(key: allocation.needle.key) }
            #expect(try await store.expiredAllocations(before: 3_000, limit: 10).isEmpty)
            #expect(try await store.pendingTombstones(now: SQLMetadataStore.now(), limit: 10).map(\.needle.key).sorted() == [1, 3])
        }
    }

    @Test(arguments: Backend.allCases)
    func plainUploadIsVisibleAtOnceAndKeepsAnExistingNeedle(_ backend: Backend) async throws {
        try await MetadataFixture.with(backend) { fixture in
            let store = try fixture.store()
            _ = try await store.createBucket(NewBucket(name: "b"))
            let first = Sample.entry(10, filename: "f")
            #expect(try await store.upload(PlainUpload(entry: first)) == .created(first))
            #expect(try await store.lookup(bucket: "b", filename: "f") == first)

            // bfs ret 5000: same needle, new sha1/mime/mtime (bfs itself kept the old `mine`).
            let again = Sample.entry(11, filename: "f", sha1: "s2", mime: "image/gif")
            var expected = again
            expected.needle = first.needle
            #expect(try await store.upload(PlainUpload(entry: again)) == .existing(expected))
            #expect(try await store.lookup(bucket: "b", filename: "f") == expected)
            // The unused key left nothing behind: no tombstone, and it can be allocated.
            #expect(try await store.pendingTombstones(now: SQLMetadataStore.now(), limit: 10).isEmpty)
            try await store.allocate(Sample.allocation(11, filename: "g"))

            await #expect(throws: MetadataError.bucketNotFound("nope")) {
                try await store.upload(PlainUpload(entry: Sample.entry(12, bucket: "nope", filename: "f")))
            }
            await #expect(throws: MetadataError.keyExists(10)) {
                try await store.upload(PlainUpload(entry: Sample.entry(10, filename: "other")))
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func listFilesByPrefixPagesInByteOrder(_ backend: Backend) async throws {
        try await MetadataFixture.with(backend) { fixture in
            let store = try fixture.store()
            _ = try await store.createBucket(NewBucket(name: "b"))
            _ = try await store.createBucket(NewBucket(name: "other"))
            let names = ["a/1", "a/2", "a/3", "a/Z", "a/é", "a0", "b/1", "a"]
            for (index, name) in names.enumerated() {
                _ = try await store.upload(PlainUpload(entry: Sample.entry(Int64(index + 1), filename: name)))
            }
            _ = try await store.upload(PlainUpload(entry: Sample.entry(100, bucket: "other", filename: "a/0")))

            var pages: [[String]] = []
            var marker: String?
            repeat {
                let page = try await store.listFiles(bucket: "b", prefix: "a/", after: marker, limit: 2)
                pages.append(page.entries.map(\.filename))
                marker = page.nextMarker
            } while marker != nil
            // "Z" (0x5A) < "é" (0xC3 0xA9) by bytes; the pages hold every "a/" name once.
            #expect(pages == [["a/1", "a/2"], ["a/3", "a/Z"], ["a/é"]])
            #expect(try await store.listFiles(bucket: "b", limit: 100).entries.map(\.filename)
                    == ["a", "a/1", "a/2", "a/3", "a/Z", "a/é", "a0", "b/1"])
            #expect(try await store.listFiles(bucket: "b", prefix: "a/", after: "0", limit: 1).entries.map(\.filename) == ["a/1"])
            #expect(try await store.listFiles(bucket: "b", prefix: "zz", limit: 5) == FilePage(entries: [], nextMarker: nil))
            #expect(try await store.listFiles(bucket: "b", prefix: "b/", limit: 1) == FilePage(entries: [Sample.entry(7, filename: "b/1")], nextMarker: nil))
        }
    }
}
