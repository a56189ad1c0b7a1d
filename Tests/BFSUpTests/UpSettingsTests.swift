import BFSCore
import BFSTestSupport
import Foundation
import Testing
@testable import BFSUp

@Suite struct UpSettingsTests {
    /// The shipped sample must load, and every key it sets must equal the built-in default, so
    /// the comments in Conf/bfs-up.toml tell the truth.
    @Test func sampleConfigLoadsAndMatchesDefaults() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Conf/bfs-up.toml").standardized.path
        #expect(try UpSettings.load(path: path) == UpSettings())
    }

    @Test func typoIsRejectedWithItsName() throws {
        let dir = TempDir("up-settings")
        let path = dir.file("up.toml")
        try "[up]\nproxy_prt = 1\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ConfigError.unknownKey("up.proxy_prt")) { try UpSettings.load(path: path) }
    }

    /// The node's proxy talks to the node's directory with the node's token, and accepts no file
    /// the store would refuse.
    @Test func proxyFollowsTheNode() throws {
        var settings = UpSettings()
        settings.host = "127.0.0.2"
        settings.proxyPort = 0
        settings.needleMaxSize = 3 << 20
        let proxy = settings.proxySettings(directoryPort: 7001, clusterToken: "t0k")
        #expect(proxy.directory == HostPort(host: "127.0.0.2", port: 7001))
        #expect(proxy.listen == HostPort(host: "127.0.0.2", port: 0))
        #expect(proxy.clusterToken == "t0k")
        #expect(proxy.maxFileSize == 3 << 20)
        #expect(proxy.uploadBudget >= proxy.maxFileSize)
    }
}
