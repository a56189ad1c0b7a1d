@testable import BFSMetadata
import Testing

/// Buckets on both backends: create, find, update, rotate, and the database's uniqueness rules.
@Suite(.postgresServer) struct BucketBehaviourTests {
    @Test(arguments: Backend.allCases)
    func createFindUpdateAndRotate(_ backend: Backend) async throws {
        try await MetadataFixture.with(backend) { fixture in
            let store = try fixture.store()
            let generated = try await store.createBucket(NewBucket(name: "photos", flags: .publicRead, cachePolicy: "max-age=60"))
            #expect(generated.keyID.count == 16 && generated.secret.count == 32)
            let chosen = try await store.createBucket(NewBucket(name: "docs", keyID: "kid-docs", secret: "s3cret", domain: "docs.example"))
            #expect(chosen == Bucket(name: "docs", flags: [], keyID: "kid-docs", secret: "s3cret", domain: "docs.example", cachePolicy: ""))

            #expect(try await store.bucket(named: "photos") == generated)
            #expect(try await store.bucket(keyID: "kid-docs") == chosen)
            #expect(try await store.listBuckets().map(\.name) == ["docs", "photos"])

            let updated = try await store.updateBucket(named: "photos", BucketUpdate(flags: .all, domain: "img.example"))
            #expect(updated.flags == .all && updated.domain == "img.example" && updated.cachePolicy == "max-age=60")
            #expect(try await store.bucket(named: "photos") == updated)

            let rotated = try await store.rotateBucketKey(named: "photos")
            #expect(rotated.keyID != generated.keyID && rotated.secret != generated.secret)
            #expect(try await store.bucket(keyID: rotated.keyID).name == "photos")
            await #expect(throws: MetadataError.bucketNotFound(generated.keyID)) { try await store.bucket(keyID: generated.keyID) }
        }
    }

    @Test(arguments: Backend.allCases)
    func uniquenessAndMissingBuckets(_ backend: Backend) async throws {
        try await MetadataFixture.with(backend) { fixture in
            let store = try fixture.store()
            _ = try await store.createBucket(NewBucket(name: "a", keyID: "k1"))
            await #expect(throws: MetadataError.bucketExists("a")) { try await store.createBucket(NewBucket(name: "a")) }
            await #expect(throws: MetadataError.keyIDExists("k1")) { try await store.createBucket(NewBucket(name: "b", keyID: "k1")) }
            await #expect(throws: MetadataError.bucketNotFound("zz")) { try await store.bucket(named: "zz") }
            await #expect(throws: MetadataError.bucketNotFound("zz")) { try await store.updateBucket(named: "zz", BucketUpdate(domain: "x")) }
            await #expect(throws: MetadataError.bucketNotFound("zz")) { try await store.rotateBucketKey(named: "zz") }
            await #expect(throws: MetadataError.invalidArgument("flags 8")) {
                try await store.createBucket(NewBucket(name: "c", flags: BucketFlags(rawValue: 8)))
            }
            await #expect(throws: MetadataError.invalidArgument("empty bucket name")) { try await store.createBucket(NewBucket(name: "")) }
            #expect(try await store.listBuckets().map(\.name) == ["a"])
        }
    }

    @Test(arguments: Backend.allCases)
    func namesAreBoundNeverInterpolated(_ backend: Backend) async throws {
        try await MetadataFixture.with(backend) { fixture in
            let store = try fixture.store()
            let hostile = "x'); DROP TABLE files; --$1?"
            _ = try await store.createBucket(NewBucket(name: hostile, domain: "'\"\\"))
            #expect(try await store.bucket(named: hostile).domain == "'\"\\")
            _ = try await store.upload(PlainUpload(entry: Sample.entry(1, bucket: hostile, filename: hostile)))
            #expect(try await store.lookup(bucket: hostile, filename: hostile).filename == hostile)
        }
    }
}
