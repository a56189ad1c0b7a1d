import BFSTestSupport
import Foundation
import Glibc
import Testing

/// `bfs up` is a working single-node cluster: its pitchfork marks the store `Health`, its
/// directory places a two-phase upload on the store's volumes, and a restart keeps the bucket
/// `default` and the file (DESIGN.md §2, §5).
@Suite(.serialized) struct UpNodeTests {
    @Test func directoryPlacesCommitsAndServesAcrossARestart() throws {
        let dir = TempDir("up-node")
        let node = try UpNodeConfig(in: dir)
        let config = node.path
        let directory = TestHTTPEndpoint(port: node.directoryPort)
        let store = TestHTTPEndpoint(port: node.apiPort)
        var random = SeededGenerator(seed: 11)
        let data = random.bytes(5000)
        var keyID = ""
        for start in 1...2 {
            let up = try BFSProcess(arguments: ["up", "-c", config], logPath: dir.file("up-\(start).log"))
            defer { up.stop() }
            #expect(waitUntil(seconds: 30) { up.log.contains("bfs up: ready") }, "\(up.log)")
            let banner = up.log.split(separator: "\n").first { $0.contains("bucket:") }.map(String.init) ?? ""
            #expect(banner.contains("default") && banner.contains("secret"), "\(up.log)")
            if start == 1 {
                keyID = String(banner.split(separator: " ").drop { $0 != "id" }.dropFirst().first ?? "")
                #expect(!keyID.isEmpty, "\(banner)")
                let token = try String(contentsOfFile: node.dataDir + "/cluster.token", encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                let auth = [("Authorization", "Bearer \(token)")]
                // Placeable once the pitchfork has marked the store Health and published its
                // volumes' free space.
                var allocation: TestHTTPResponse?
                #expect(waitUntil(seconds: 20, pollMilliseconds: 100) {
                    allocation = try? directory.request("POST", "/allocate?bucket=default&filename=cat.jpg&mime=image/jpeg", headers: auth)
                    return allocation?.ret == 1
                }, "\(allocation?.text ?? "no answer")\n\(up.log.suffix(2000))")
                let answer = try #require(allocation?.json)
                let key = try #require((answer["key"] as? NSNumber)?.int64Value)
                let cookie = try #require((answer["cookie"] as? NSNumber)?.int32Value)
                let vid = try #require((answer["vid"] as? NSNumber)?.int32Value)
                #expect((answer["stores"] as? [String]) == ["127.0.0.1:\(node.apiPort)"])
                let stored = try store.postMultipart("/upload", fields: [("vid", "\(vid)"), ("key", "\(key)"), ("cookie", "\(cookie)")],
                                                     files: [(name: "file", data: data)])
                #expect(stored.ret == 1, "\(stored.text)")
                let commit = try directory.request("POST", "/commit?key=\(key)&sha1=00&size=\(data.count)&mtime=1700000000000000000",
                                                   headers: auth)
                #expect(commit.json["outcome"] as? String == "created", "\(commit.text)")
            }
            // The bfs directory API finds the file, and the store serves its bytes.
            let found = try directory.get("/get?bucket=default&filename=cat.jpg")
            #expect(found.ret == 1, "\(found.text)")
            let key = (found.json["key"] as? NSNumber)?.int64Value ?? 0
            let cookie = (found.json["cookie"] as? NSNumber)?.int32Value ?? 0
            let vid = (found.json["vid"] as? NSNumber)?.int32Value ?? 0
            #expect(try store.get("/get?vid=\(vid)&key=\(key)&cookie=\(cookie)").body == data)
            #expect(banner.contains("key id \(keyID) "), "a restart must keep the bucket: \(banner)")
            up.signal(SIGTERM)
            #expect(up.wait(seconds: 20) == 0, "\(up.log)")
        }
    }
}
