import BFSCoordination
import BFSCore
import BFSOps
import BFSTestSupport
import Foundation
import Testing

/// `OpsService` in process on an embedded coordination tree: the grants of the three auth
/// set-ups (password, token only, neither) and the UI's pages.
@Suite(.serialized) struct OpsServiceTests {
    static var assets: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("ops").path
    }

    private func start(token: String, hash: String) throws -> (OpsService, TestHTTPEndpoint) {
        var settings = OpsSettings()
        settings.listen = HostPort(host: "127.0.0.1", port: 0)
        settings.clusterToken = token
        settings.adminPasswordHash = hash
        settings.assetsDir = Self.assets
        let service = OpsService(settings: settings, coordination: .embedded(EmbeddedTree()))
        let port = try service.start()
        return (service, TestHTTPEndpoint(port: port))
    }

    private func login(_ ops: TestHTTPEndpoint, _ password: String) throws -> TestHTTPResponse {
        try ops.request("POST", "/api/login", headers: [("Content-Type", "application/json")],
                        body: Array(try JSONSerialization.data(withJSONObject: ["password": password])))
    }

    @Test func tokenIsThePasswordWhenNoneIsSet() throws {
        let (service, ops) = try start(token: "tok-123", hash: "")
        defer { service.stop() }
        #expect(try login(ops, "tok-12").status == 401)
        let ok = try login(ops, "tok-123")
        #expect(ok.status == 200 && ok.header("Set-Cookie")?.contains("HttpOnly") == true)
        #expect(try ops.get("/api/overview").status == 401)
        #expect(try ops.get("/api/overview", headers: [("Authorization", "Bearer tok-123")]).json["stores"] as? [Any] != nil)
    }

    @Test func theTokenIsNoPasswordWhenOneIsSet() throws {
        let hash = try PasswordHash(password: "pw", rounds: PasswordHash.minimumRounds).encoded
        let (service, ops) = try start(token: "tok-123", hash: hash)
        defer { service.stop() }
        #expect(try login(ops, "tok-123").status == 401)
        #expect(try login(ops, "pw").status == 200)
    }

    @Test func neitherMeansOpenOnLoopback() throws {
        let (service, ops) = try start(token: "", hash: "")
        defer { service.stop() }
        #expect(try ops.get("/api/session").json["via"] as? String == "open")
        #expect(try login(ops, "anything").status == 404)
        let groups = try ops.request("POST", "/api/groups", headers: [("Content-Type", "application/json"), ("X-CSRF-Token", "")], body: Array(#"{"copies":2}"#.utf8))
        #expect(groups.status == 200 && (groups.json["groups"] as? [Any])?.isEmpty == true, "\(groups.text)")
    }

    @Test func pagesAndHeaders() throws {
        let (service, ops) = try start(token: "t", hash: "")
        defer { service.stop() }
        let index = try ops.get("/")
        #expect(index.status == 200 && index.text.contains("<title>bfs ops</title>"))
        #expect(index.header("Content-Security-Policy")?.contains("default-src 'self'") == true)
        #expect(try ops.get("/login").text.contains("id=\"password\""))
        #expect(try ops.get("/app.js").header("Content-Type")?.hasPrefix("text/javascript") == true)
        #expect(try ops.get("/nothing.html").status == 404)
        #expect(try ops.get("/api/nothing", headers: [("Authorization", "Bearer t")]).status == 404)
        let bad = try ops.request("POST", "/api/volumes", headers: [("Authorization", "Bearer t")], body: Array("{\"count\":\"x\"}".utf8))
        #expect(bad.status == 400 && bad.text.contains("count"), "\(bad.text)")
    }
}
