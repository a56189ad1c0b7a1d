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

@Suite struct UpOpsTests {
    /// The node's console reads the node's embedded tree, calls its directory, and takes the
    /// cluster token (there is no password hash to leak).
    @Test func consoleFollowsTheNode() {
        var settings = UpSettings()
        settings.opsPort = 0
        let ops = settings.opsSettings(directoryPort: 7002, clusterToken: "t0k", assetsDir: "/srv/ops")
        #expect(ops.directory == HostPort(host: "127.0.0.1", port: 7002))
        #expect(ops.listen == HostPort(host: "127.0.0.1", port: 0))
        #expect(ops.clusterToken == "t0k")
        #expect(ops.adminPasswordHash.isEmpty)
        #expect(ops.coordinationBackend == "embedded")
        #expect(ops.assetsDir == "/srv/ops")
    }

    /// The console is found in ./ops, else next to the source tree of the binary, and a
    /// configured folder without index.html is refused rather than served empty.
    @Test func assetsAreFoundOrRefused() throws {
        let dir = TempDir("up-assets")
        defer { dir.remove() }
        let tree = dir.file("tree"), work = dir.file("work")
        try FileManager.default.createDirectory(atPath: tree + "/ops", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: tree + "/.build/x86_64-unknown-linux-gnu/release", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: tree + "/ops/index.html", contents: Data("<html>".utf8))
        let binary = tree + "/.build/x86_64-unknown-linux-gnu/release/bfs"
        #expect(OpsAssetsLocator.locate(configured: "", workingDirectory: work, executable: binary) == tree + "/ops")
        #expect(OpsAssetsLocator.locate(configured: "", workingDirectory: tree, executable: "/nowhere/bfs") == tree + "/ops")
        #expect(OpsAssetsLocator.locate(configured: "", workingDirectory: work, executable: "/nowhere/bfs") == nil)
        #expect(OpsAssetsLocator.locate(configured: work, workingDirectory: tree, executable: binary) == nil)
        #expect(OpsAssetsLocator.locate(configured: "ops", workingDirectory: tree, executable: "/nowhere/bfs") == tree + "/ops")
    }
}
