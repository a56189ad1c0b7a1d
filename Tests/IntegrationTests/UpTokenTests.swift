import BFSTestSupport
import Foundation
import Glibc
import Testing

/// `bfs up` generates its cluster token on the first start, keeps it in the data directory, and
/// its admin listener requires it (DESIGN.md §11); its pitchfork marks the store `Health`.
@Suite(.serialized) struct UpTokenTests {
    @Test func firstStartGeneratesATokenTheAdminListenerRequires() throws {
        let dir = TempDir("up-token")
        let node = try UpNodeConfig(in: dir)
        let config = node.path
        let tokenPath = dir.file("data/cluster.token")
        let admin = TestHTTPEndpoint(port: node.adminPort)
        let pitchfork = TestHTTPEndpoint(port: node.pitchforkPort)
        var tokens: [String] = []
        for start in 1...2 {
            let up = try BFSProcess(arguments: ["up", "-c", config], logPath: dir.file("up-\(start).log"))
            defer { up.stop() }
            #expect(waitUntil(seconds: 30) { up.log.contains("bfs up: ready") }, "\(up.log)")
            let token = try String(contentsOfFile: tokenPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            tokens.append(token)
            var status = stat()
            #expect(stat(tokenPath, &status) == 0 && status.st_mode & 0o777 == 0o600)
            #expect(token.count == 32 && token.allSatisfy(\.isHexDigit), "\(token)")
            #expect(try admin.request("POST", "/add_free_volume?n=1").status == 401)
            #expect(try admin.request("POST", "/add_volume?vid=9", headers: [("Authorization", "Bearer x\(token)")]).status == 401)
            #expect(try admin.request("HEAD", "/probe?vid=1").status == 200)
            let added = try admin.request("POST", "/add_free_volume?n=1&bdir=\(dir.file("data"))&idir=\(dir.file("data"))",
                                          headers: [("Authorization", "Bearer \(token)")])
            #expect(added.ret == 1, "\(added.text)")
            // The node's pitchfork probes the store every second: Health (bfs 2147483651) soon.
            #expect(waitUntil(seconds: 20, pollMilliseconds: 100) {
                let stores = (try? pitchfork.request("GET", "/stores").json)?["stores"] as? [[String: Any]]
                return stores?.first?["status"] as? Int == 2147483651
            }, "\((try? pitchfork.request("GET", "/stores").text) ?? "no answer")")
            up.signal(SIGTERM)
            #expect(up.wait(seconds: 20) == 0, "\(up.log)")
        }
        #expect(tokens.count == 2 && tokens[0] == tokens[1], "a restart must keep the token")
    }
}
