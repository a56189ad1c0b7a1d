import BFSCore
import BFSTestSupport
import BFSHTTP
import BFSStorage
import Foundation
import Testing
@testable import BFSStore

/// The cluster token on the admin listener (DESIGN.md §11).
@Suite struct AdminAuthorizationTests {
    private func request(_ store: AdminTestStore, _ method: String, _ path: String,
                         authorization: String? = nil) throws -> HTTPClientResponse {
        let headers = authorization.map { [FormFields.Pair(name: "Authorization", value: $0)] } ?? []
        return try store.send(HTTPClientRequest(method: method, host: "127.0.0.1", port: store.adminPort,
                                                target: path, headers: headers))
    }

    /// Mutating calls and the volume export need the token; `/probe` stays open.
    @Test func mutatingAndExportCallsNeedTheToken() throws {
        let store = try AdminTestStore("auth", token: "s3cret-token")
        defer { store.stop() }
        try store.addVolume(1)  // with the token (AdminTestStore.post sends it)
        #expect(store.volumes.volume(1) != nil)
        let gated = [("POST", "/add_free_volume?n=1"), ("POST", "/add_volume?vid=2"), ("POST", "/bulk_volume?vid=3&from=127.0.0.1:1"),
                     ("POST", "/compact_volume?vid=1"), ("POST", "/volume_snapshot?vid=1"),
                     ("GET", "/volume_file?snapshot=x&file=block&offset=0&length=1"), ("POST", "/volume_snapshot_release?snapshot=x")]
        for (method, path) in gated {
            for authorization in [nil, "Bearer wrong-token!", "Bearer s3cret-toke", "Bearer s3cret-token2", "s3cret-token"] {
                let r = try request(store, method, path, authorization: authorization)
                #expect(r.status == .unauthorized, "\(method) \(path) with \(authorization ?? "nothing")")
                #expect(r.head.header("WWW-Authenticate") == "Bearer")
            }
        }
        #expect(store.volumes.volume(2) == nil)
        #expect(store.volumes.freeCount == 0)
        #expect(store.context.jobs.snapshotCount == 0)
        for method in ["GET", "HEAD"] {
            #expect(try request(store, method, "/probe?vid=1").status == .ok)
            #expect(try request(store, method, "/probe?vid=9").status == .notFound)
        }
        // With the token the calls reach their handlers, unknown routes answer as usual.
        let snapshot = try request(store, "POST", "/volume_snapshot?vid=1", authorization: "Bearer s3cret-token")
        #expect(snapshot.status == .ok)
        #expect(try request(store, "GET", "/nowhere", authorization: "Bearer s3cret-token").status == .notFound)
        #expect(try request(store, "GET", "/add_volume", authorization: "Bearer s3cret-token").status == .methodNotAllowed)
    }

    /// Without a token the listener is open, as before.
    @Test func noTokenLeavesTheListenerOpen() throws {
        let store = try AdminTestStore("auth-open")
        defer { store.stop() }
        let r = try request(store, "POST", "/add_free_volume?n=1&bdir=\(store.dir.file("data"))&idir=\(store.dir.file("data"))")
        #expect(r.status == .ok)
        #expect(store.volumes.freeCount == 1)
    }

    /// The comparison accepts exactly the expected bytes.
    @Test func tokenComparisonIsExact() {
        let expected = Array("Bearer abc".utf8)
        #expect(ClusterTokenGate.matches("Bearer abc", expected))
        for wrong in [nil, "", "Bearer ab", "Bearer abcd", "Bearer abd", "bearer abc", "Bearer abc\u{0}"] as [String?] {
            #expect(!ClusterTokenGate.matches(wrong, expected), "\(wrong ?? "nil")")
        }
        // A length difference that is a multiple of 256 must not vanish in the comparison.
        for extra in [256, 512, 65536] {
            #expect(!ClusterTokenGate.matches("Bearer abc" + String(repeating: "x", count: extra), expected), "+\(extra)")
        }
    }

    /// A store whose admin listener other hosts can reach refuses to start without a token.
    @Test func nonLoopbackAdminWithoutTokenRefusesToStart() throws {
        let dir = TempDir("auth-start")
        defer { dir.remove() }
        var settings = StoreSettings()
        settings.dataDir = dir.file("data")
        settings.coordinationBackend = "embedded"
        settings.apiListen = HostPort(host: "127.0.0.1", port: 0)
        settings.statListen = HostPort(host: "127.0.0.1", port: 0)
        settings.adminListen = HostPort(host: "0.0.0.0", port: 0)
        let service = StoreService(settings: settings)
        defer { service.stop() }
        #expect(throws: StoreService.StartupError.self) { try service.start() }
        #expect(service.ports == nil)
        #expect(settings.securityProblem != nil)
        settings.adminListen = HostPort(host: "127.0.0.1", port: 0)
        #expect(settings.securityProblem == nil)
        settings.adminListen = HostPort(host: "0.0.0.0", port: 0)
        settings.clusterToken = "t0ken"
        #expect(settings.securityProblem == nil)
    }

    /// `cluster_token` is read from `[store]` and must be printable without spaces.
    @Test func tokenIsReadFromTheConfig() throws {
        let dir = TempDir("auth-conf")
        defer { dir.remove() }
        let path = dir.file("store.toml")
        try "[store]\ncluster_token = \"abc-123\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try StoreSettings.load(path: path).clusterToken == "abc-123")
        try "[store]\ncluster_token = \"a b\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ConfigError.self) { try StoreSettings.load(path: path) }
    }

    /// A pull between two stores of a cluster with a token: the puller sends it to the peer's
    /// export endpoints.
    @Test func pullSendsTheClusterToken() throws {
        let source = try AdminTestStore("auth-pull-src", token: "cluster-wide")
        defer { source.stop() }
        let target = try AdminTestStore("auth-pull-dst", token: "cluster-wide")
        defer { target.stop() }
        target.events.register(source)
        try source.addVolume(4)
        let volume = try #require(source.volumes.volume(4))
        let data = adminPayload(seed: 4, size: 3000)
        try volume.appendAndWait(key: 1, cookie: 2, data: data)
        #expect(try target.postJSON("/bulk_volume", ["vid": "4", "from": "127.0.0.1:\(source.adminPort)"])["ret"] as? Int == 1)
        let job = try target.waitForJob("loads", id: 4)
        #expect(job["state"] as? String == "done", "\(job)")
        #expect(try target.volumes.volume(4)?.read(key: 1, cookie: 2) == data)
        #expect(source.context.jobs.snapshotCount == 0)
    }
}
