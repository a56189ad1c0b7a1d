import BFSCore
@testable import BFSDirectory
import BFSMetadata
import BFSTestSupport
import Foundation
import Testing

/// The directory's HTTP API: bfs's `/get`, `/upload`, `/del`, `/ping` (reference/bfs-v1.md §2.1),
/// the cluster token, buckets and `/metrics`.
@Suite struct DirectoryAPITests {
    private func withDirectory(token: String = "", _ body: (DirectoryHarness) async throws -> Void) async throws {
        let temp = TempDir("directory")
        defer { temp.remove() }
        let metadata = try SQLMetadataStore.sqlite(path: temp.file("metadata.db"))
        _ = try await metadata.createBucket(NewBucket(name: "b"))
        let harness = try DirectoryHarness(metadata: metadata, token: token)
        defer { harness.stop() }
        try await body(harness)
        await metadata.close()
    }

    @Test func replyJSONHasBfsFieldsInBfsOrder() {
        let reply = BFSReply(ret: .ok, key: 7, cookie: -3, vid: 2, stores: ["127.0.0.1:6062", "h:1"],
                             updateTime: 1_700_000_000_000_000_000, sha1: "ab\"c", mime: "image/png")
        #expect(reply.json == #"{"ret":1,"key":7,"cookie":-3,"vid":2,"stores":["127.0.0.1:6062","h:1"],"update_time":1700000000000000000,"sha1":"ab\"c","mine":"image/png"}"#)
        #expect(BFSReply(ret: .needleNotExist).json == #"{"ret":5001,"key":0,"cookie":0,"vid":0,"stores":null,"update_time":0,"sha1":"","mine":""}"#)
        var sized = BFSReply(ret: .ok, key: .max, cookie: .min, vid: -1, stores: [], mime: "a\u{1}é")
        sized.size = 0
        #expect(sized.json == #"{"ret":1,"key":9223372036854775807,"cookie":-2147483648,"vid":-1,"stores":[],"update_time":0,"sha1":"","mine":"a\u0001é","size":0}"#)
    }

    @Test func commitAnswerGolden() {
        let entry = FileEntry(bucket: "b", filename: "f", needle: NeedleLocation(key: 12, vid: 3, cookie: -9),
                              sha1: "s", mime: "m", size: 1, mtime: 2)
        #expect(String(decoding: DirectoryReplies.committed(.created(entry)), as: UTF8.self)
            == #"{"ret":1,"outcome":"created","key":12,"vid":3,"cookie":-9}"#)
        #expect(String(decoding: DirectoryReplies.committed(.replaced(entry, previous: entry.needle)), as: UTF8.self)
            == #"{"ret":1,"outcome":"replaced","key":12,"vid":3,"cookie":-9}"#)
    }

    @Test func bfsUploadGetAndDelete() async throws {
        try await withDirectory { harness in
            let e = harness.endpoint
            #expect(try e.get("/ping").text == #"{"code":0}"#)
            let fields = [("bucket", "b"), ("filename", "x.jpg"), ("sha1", "s1"), ("mine", "image/jpeg"), ("mtime", "42")]
            let upload = try e.postForm("/upload", fields)
            #expect(upload.ret == 1)
            #expect(upload.header("Content-Type") == "application/json;charset=utf-8")
            #expect((upload.json["stores"] as? [String])?.count == 2)
            #expect((upload.json["vid"] as? NSNumber)?.int32Value == 1)
            #expect((upload.json["cookie"] as? NSNumber)?.int32Value != 0)
            let key = (upload.json["key"] as? NSNumber)?.int64Value

            // An existing filename keeps its needle: 5000 with the same key (bfs overwrite).
            let again = try e.postForm("/upload", [("bucket", "b"), ("filename", "x.jpg"), ("sha1", "s2"), ("mine", "image/png"), ("mtime", "43")])
            #expect(again.ret == 5000)
            #expect((again.json["key"] as? NSNumber)?.int64Value == key)
            #expect((again.json["update_time"] as? NSNumber)?.int64Value == 43)

            let get = try e.get("/get?bucket=b&filename=x.jpg")
            #expect(get.ret == 1)
            #expect((get.json["key"] as? NSNumber)?.int64Value == key)
            #expect(get.json["sha1"] as? String == "s2")
            #expect((get.json["stores"] as? [String]) == harness.stores.map { "127.0.0.1:\($0.port)" })

            #expect(try e.postForm("/del", [("bucket", "b"), ("filename", "x.jpg")]).ret == 1)
            #expect(try e.get("/get?bucket=b&filename=x.jpg").ret == 5001)
            #expect(try e.postForm("/del", [("bucket", "b"), ("filename", "x.jpg")]).ret == 5001)
        }
    }

    @Test func missingParametersAre400AndWrongMethods405() async throws {
        try await withDirectory { harness in
            let e = harness.endpoint
            let statuses = try [
                e.get("/get?bucket=b").status,
                e.postForm("/upload", [("bucket", "b"), ("filename", "f")]).status,
                e.postForm("/upload", [("bucket", "b"), ("filename", "f"), ("sha1", "s"), ("mine", "m"), ("mtime", "x")]).status,
                e.get("/upload").status,
            ]
            #expect(statuses == [400, 400, 400, 405])
            let missing = try e.postForm("/upload", [("bucket", "nope"), ("filename", "f"), ("sha1", "s"), ("mine", "m"), ("mtime", "1")])
            #expect(missing.ret == Ret.bucketNotExist.rawValue)
        }
    }

    @Test func clusterTokenGuardsEverythingButReads() async throws {
        try await withDirectory(token: "t0k") { harness in
            let e = harness.endpoint
            let auth = [("Authorization", "Bearer t0k")]
            #expect(try e.postForm("/allocate", [("bucket", "b"), ("filename", "f")]).status == 401)
            #expect(try e.get("/buckets").status == 401)
            #expect(try e.get("/bucket?name=b").status == 401)
            #expect(try e.get("/get?bucket=b&filename=f").ret == 5001)
            #expect(try e.get("/ping").status == 200)
            #expect(try e.get("/metrics").status == 200)
            let body = Array("bucket=b&filename=f".utf8)
            let allowed = try e.request("POST", "/allocate", headers: auth + [("Content-Type", "application/x-www-form-urlencoded")], body: body)
            #expect(allowed.ret == 1)
            #expect(try e.get("/buckets", headers: [("Authorization", "Bearer t0k0")]).status == 401)
        }
    }

    @Test func bucketAdministration() async throws {
        try await withDirectory { harness in
            let e = harness.endpoint
            let created = try e.postForm("/buckets/create", [("name", "photos"), ("flags", "1"), ("domain", "img.example")])
            #expect(created.ret == 1)
            let bucket = created.json["bucket"] as? [String: Any]
            #expect(bucket?["flags"] as? Int == 1)
            let keyID = bucket?["key_id"] as? String
            #expect(keyID?.isEmpty == false)
            #expect(try e.postForm("/buckets/create", [("name", "photos")]).ret == 5000)
            #expect(try e.postForm("/buckets/create", [("name", "bad"), ("flags", "8")]).ret == Ret.paramError.rawValue)

            let updated = try e.postForm("/buckets/update", [("name", "photos"), ("cache_policy", "max-age=60"), ("flags", "3")])
            #expect((updated.json["bucket"] as? [String: Any])?["cache_policy"] as? String == "max-age=60")
            #expect((updated.json["bucket"] as? [String: Any])?["flags"] as? Int == 3)
            let rotated = try e.postForm("/buckets/rotate", [("name", "photos")])
            #expect(((rotated.json["bucket"] as? [String: Any])?["key_id"] as? String).map { $0 != keyID } == true)

            let lookup = try e.get("/bucket?name=photos")
            #expect((lookup.json["bucket"] as? [String: Any])?["domain"] as? String == "img.example")
            #expect(try e.get("/bucket?name=none").ret == Ret.bucketNotExist.rawValue)
            let newKeyID = try #require((rotated.json["bucket"] as? [String: Any])?["key_id"] as? String)
            let byKey = try e.get("/bucket?key_id=\(newKeyID)")
            #expect((byKey.json["bucket"] as? [String: Any])?["name"] as? String == "photos")
            #expect(try e.get("/bucket").status == 400)
            let names = (try e.get("/buckets").json["buckets"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(names == ["b", "photos"])
        }
    }

    @Test func metricsCountRequestsByEndpoint() async throws {
        try await withDirectory { harness in
            _ = try harness.endpoint.get("/get?bucket=b&filename=none")
            let text = try harness.endpoint.get("/metrics").text
            #expect(text.contains(#"bfs_directory_requests_total{endpoint="get",ok="false"} 1"#), "\(text.prefix(2000))")
        }
    }

    @Test func shippedConfigIsTheDefaults() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Conf/directory.toml").path
        #expect(try DirectorySettings.load(path: path) == DirectorySettings())
        #expect(throws: ConfigError.self) { try DirectorySettings.read(ConfigDocument.parse("[directory]\nnope = 1")) }
        var open = DirectorySettings()
        open.listen = HostPort(host: "0.0.0.0", port: 6065)
        #expect(open.securityProblem != nil)
        open.clusterToken = "t"
        #expect(open.securityProblem == nil)
    }
}
