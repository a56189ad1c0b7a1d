import BFSCoordination
import BFSCore
import BFSOps
import BFSTestSupport
import Foundation
import Testing

/// The ops API under hostile or careless use: concurrent calls, forged cross-site requests,
/// oversized requests and repeated actions, on an in-process `OpsService` over an embedded tree.
@Suite(.serialized) struct OpsAbuseTests {
    private func start(tree: EmbeddedTree = EmbeddedTree(),
                       _ configure: (inout OpsSettings) -> Void) throws -> (OpsService, TestHTTPEndpoint) {
        var settings = OpsSettings()
        settings.listen = HostPort(host: "127.0.0.1", port: 0)
        settings.assetsDir = OpsServiceTests.assets
        configure(&settings)
        let service = OpsService(settings: settings, coordination: .embedded(tree))
        let port = try service.start()
        return (service, TestHTTPEndpoint(port: port))
    }

    private static let token = [("Authorization", "Bearer t"), ("Content-Type", "application/json")]

    /// Runs `body` on `count` threads at once; answers their results.
    private func concurrently<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
        let results = Locked<[T]>([])
        let done = DispatchGroup()
        for i in 0..<count {
            done.enter()
            Thread {
                let r = body(i)
                results.with { $0.append(r) }
                done.leave()
            }.start()
        }
        done.wait()
        return results.with { $0 }
    }

    /// Wrong passwords sent all at once are limited like ones sent one by one: an attempt counts
    /// when it arrives, not when its (slow) hash check has failed.
    @Test func concurrentWrongLoginsStayWithinTheLimit() throws {
        let hash = try PasswordHash(password: "pw", rounds: 200_000).encoded
        let (service, ops) = try start { $0.adminPasswordHash = hash; $0.loginAttemptsPerMinute = 3 }
        defer { service.stop() }
        let statuses = concurrently(12) { _ in
            (try? ops.request("POST", "/api/login", headers: [("Content-Type", "application/json")],
                              body: Array(#"{"password":"guess"}"#.utf8)).status) ?? -1
        }
        #expect(statuses.allSatisfy { $0 == 401 || $0 == 429 }, "\(statuses)")
        #expect(statuses.filter { $0 == 401 }.count <= 3, "\(statuses)")
    }

    /// Two operators pressing "create groups" at once must not put a store in two groups.
    @Test func concurrentGroupCreationsGroupEachStoreOnce() async throws {
        let tree = EmbeddedTree()
        let writer = try TreeWriter(tree)
        for (i, rack) in ["a", "a", "b", "b", "c", "c"].enumerated() {
            try await writer.register(StoreNode(stat: "127.0.0.1:1", admin: "127.0.0.1:1", api: "127.0.0.1:1",
                                                id: "s-\(i)", rack: rack, status: .health))
        }
        let (service, ops) = try start(tree: tree) { $0.clusterToken = "t" }
        defer { service.stop() }
        let statuses = concurrently(4) { _ in
            (try? ops.request("POST", "/api/groups", headers: Self.token, body: Array(#"{"copies":2}"#.utf8)).status) ?? -1
        }
        #expect(statuses == [200, 200, 200, 200])
        let groups = try await writer.groups()
        let memberships = groups.values.flatMap { $0 }
        #expect(memberships.count == Set(memberships).count, "a store is in two groups: \(groups)")
        #expect(Set(memberships).count == 6 && groups.count == 3, "\(groups)")
    }
}
