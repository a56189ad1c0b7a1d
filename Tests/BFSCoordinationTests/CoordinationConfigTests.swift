import BFSCore
import Testing
@testable import BFSCoordination

/// The `[coordination]` keys shared by every service's config.
@Suite struct CoordinationConfigTests {
    func section(_ text: String) throws -> ConfigTable {
        try ConfigDocument.parse("[coordination]\n" + text).section("coordination")
    }

    @Test func backendIsZooKeeperOrEmbedded() throws {
        #expect(try section("").coordinationBackend(default: "zookeeper") == "zookeeper")
        #expect(try section("backend = \"embedded\"").coordinationBackend(default: "zookeeper") == "embedded")
        #expect(throws: ConfigError.badValue(key: "coordination.backend",
                                             reason: "'etcd' is neither \"zookeeper\" nor \"embedded\"")) {
            try section("backend = \"etcd\"").coordinationBackend(default: "zookeeper")
        }
    }

    @Test(arguments: ["bfs", "/bfs/", "bfs/"])
    func rootMustBeAbsoluteWithoutTrailingSlash(_ root: String) throws {
        #expect(throws: ConfigError.self) { try section("root = \"\(root)\"").coordinationRoot(default: "") }
    }

    @Test func rootMayBeEmptyOrAPath() throws {
        #expect(try section("").coordinationRoot(default: "") == "")
        #expect(try section("root = \"/clusters/a\"").coordinationRoot(default: "") == "/clusters/a")
    }
}
