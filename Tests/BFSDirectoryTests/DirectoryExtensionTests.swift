import BFSCluster
import BFSCore
@testable import BFSDirectory
import BFSMetadata
import BFSTestSupport
import Foundation
import Testing

/// The directory's extensions for the proxy: `size` in `/get`, `/list`, `/allocate`
/// excluding a failed volume's group, and `/commit` / `/del` expecting the current row.
@Suite struct DirectoryExtensionTests {
    private func withDirectory(_ body: (DirectoryHarness) async throws -> Void) async throws {
        let temp = TempDir("directory-ext")
        defer { temp.remove() }
        let metadata = try SQLMetadataStore.sqlite(path: temp.file("metadata.db"))
        _ = try await metadata.createBucket(NewBucket(name: "b"))
        let harness = try DirectoryHarness(metadata: metadata)
        defer { harness.stop() }
        try await body(harness)
        await metadata.close()
    }

    @Test func getAppendsSizeAfterBfsFields() async throws {
        try await withDirectory { harness in
            _ = try harness.upload("x.png")  // commits size 3
            let get = try harness.endpoint.get("/get?bucket=b&filename=x.png")
            #expect(get.ret == 1)
            #expect((get.json["size"] as? NSNumber)?.int64Value == 3)
            // bfs's fields keep their order; size comes last.
            #expect(get.text.hasSuffix(",\"mine\":\"image/png\",\"size\":3}"))
            // Other replies are unchanged.
            #expect(try harness.endpoint.get("/get?bucket=b&filename=none").text.contains("size") == false)
        }
    }

    @Test func listPagesThroughABucket() async throws {
        try await withDirectory { harness in
            for name in ["a/1.png", "a/2.png", "b.png"] { _ = try harness.upload(name) }
            _ = try harness.upload("a/pending.png", commit: false)  // not visible
            let first = try harness.endpoint.get("/list?bucket=b&prefix=a/&limit=1")
            #expect(first.ret == 1)
            let files = try #require(first.json["files"] as? [[String: Any]])
            #expect(files.map { $0["filename"] as? String } == ["a/1.png"])
            #expect((files[0]["size"] as? NSNumber)?.int64Value == 3)
            #expect(files[0]["sha1"] as? String == String(repeating: "a", count: 40))
            #expect(files[0]["mime"] as? String == "image/png")
            #expect((files[0]["mtime"] as? NSNumber)?.int64Value == 1_700_000_000_000_000_000)
            #expect(first.json["next"] as? String == "a/1.png")
            let second = try harness.endpoint.get("/list?bucket=b&prefix=a/&after=a/1.png")
            #expect((second.json["files"] as? [[String: Any]])?.map { $0["filename"] as? String } == ["a/2.png"])
            #expect(second.json["next"] is NSNull)
            let all = try harness.endpoint.get("/list?bucket=b")
            #expect((all.json["files"] as? [[String: Any]])?.count == 3)
            #expect(try harness.endpoint.get("/list?bucket=b&limit=0").status == 400)
            #expect(try harness.endpoint.get("/list?bucket=b&limit=1001").status == 400)
            #expect(try harness.endpoint.get("/list").status == 400)
            // An unknown bucket has no files (the proxy checks buckets before it lists).
            let unknown = try harness.endpoint.get("/list?bucket=nope")
            #expect(unknown.ret == 1 && (unknown.json["files"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func allocateAvoidsExcludedVolumesAndGroups() async throws {
        try await withDirectory { harness in
            let e = harness.endpoint
            let plain = try e.postForm("/allocate", [("bucket", "b"), ("filename", "f")])
            #expect((plain.json["vid"] as? NSNumber)?.int32Value == 1)
            // The harness has one group (1) holding volume 1: excluding either leaves nothing.
            let noVolume = try e.postForm("/allocate", [("bucket", "b"), ("filename", "f"), ("exclude_vid", "1")])
            #expect(noVolume.ret == Ret.storeNotAvailable.rawValue)
            let noGroup = try e.postForm("/allocate", [("bucket", "b"), ("filename", "f"), ("exclude_group", "1")])
            #expect(noGroup.ret == Ret.storeNotAvailable.rawValue)
            let other = try e.postForm("/allocate", [("bucket", "b"), ("filename", "f"), ("exclude_vid", "9"), ("exclude_group", "7")])
            #expect((other.json["vid"] as? NSNumber)?.int32Value == 1)
            #expect(try e.postForm("/allocate", [("bucket", "b"), ("filename", "f"), ("exclude_vid", "x")]).status == 400)
        }
    }

    @Test func commitAndDeleteHonourTheirExpectation() async throws {
        try await withDirectory { harness in
            let e = harness.endpoint
            let sha1 = String(repeating: "a", count: 40)
            func commit(_ key: NeedleKey, _ expectation: (String, String)) throws -> TestHTTPResponse {
                try e.postForm("/commit", [("key", "\(key)"), ("sha1", sha1), ("size", "3"), ("mtime", "1"), expectation])
            }
            let first = try harness.upload("x.png").key
            // Unmet: ret 412, nothing changed, the allocation still pending for /abort.
            let late = try harness.upload("x.png", commit: false).key
            #expect(try commit(late, ("expect_absent", "1")).ret == Ret.preconditionFailed.rawValue)
            #expect(try commit(late, ("expect_key", "\(first + 1000)")).ret == Ret.preconditionFailed.rawValue)
            #expect((try e.get("/get?bucket=b&filename=x.png").json["key"] as? NSNumber)?.int64Value == first)
            // Met: as without it.
            let replaced = try commit(late, ("expect_key", "\(first)"))
            #expect(replaced.ret == 1 && replaced.json["outcome"] as? String == "replaced")
            let fresh = try harness.upload("y.png", commit: false).key
            #expect(try commit(fresh, ("expect_absent", "1")).json["outcome"] as? String == "created")

            let stale = try e.postForm("/del", [("bucket", "b"), ("filename", "x.png"), ("expect_key", "\(first)")])
            #expect(stale.ret == Ret.preconditionFailed.rawValue)
            #expect(try e.postForm("/del", [("bucket", "b"), ("filename", "x.png"), ("expect_absent", "1")]).ret == 412)
            #expect(try e.get("/get?bucket=b&filename=x.png").ret == 1)
            let deleted = try e.postForm("/del", [("bucket", "b"), ("filename", "x.png"), ("expect_key", "\(late)")])
            #expect(deleted.ret == 1 && (deleted.json["key"] as? NSNumber)?.int64Value == late)
            #expect(try e.postForm("/del", [("bucket", "b"), ("filename", "x.png"), ("expect_absent", "1")]).ret == 5001)
            // Malformed or both: bad request, as any malformed bfs parameter.
            #expect(try e.postForm("/del", [("bucket", "b"), ("filename", "y.png"), ("expect_key", "x")]).status == 400)
            #expect(try e.postForm("/del", [("bucket", "b"), ("filename", "y.png"), ("expect_absent", "2")]).status == 400)
            #expect(try e.postForm("/del", [("bucket", "b"), ("filename", "y.png"), ("expect_key", "1"), ("expect_absent", "1")]).status == 400)
            #expect(try e.get("/get?bucket=b&filename=y.png").ret == 1)
        }
    }

    @Test func placementSkipsExcludedGroups() throws {
        var cluster = SnapshotBuilder()
        cluster.healthyGroup(1, members: 2, vids: [1, 2], free: 100 * 1024 * 1024)
        cluster.healthyGroup(2, members: 2, vids: [3], free: 100 * 1024 * 1024)
        var generator = SeededGenerator(seed: SeededGenerator.printedSeed("placement exclusion"))
        for _ in 0..<50 {
            let placement = try PlacementPolicy().place(in: cluster.snapshot, excluding: [1], using: &generator)
            #expect(placement.group == 2 && placement.vid == 3)
        }
        #expect(throws: DirectoryError.noWritableGroup) {
            try PlacementPolicy().place(in: cluster.snapshot, excluding: [1, 2], using: &generator)
        }
    }
}
