import BFSCore
import Foundation
import Testing
@testable import BFSStore

@Suite struct StoreSettingsTests {
    /// The shipped sample must load, and every key it sets must equal the built-in default, so
    /// the comments in Conf/store.toml tell the truth.
    @Test func sampleConfigLoadsAndMatchesDefaults() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Conf/store.toml").standardized.path
        let loaded = try StoreSettings.load(path: path)
        var expected = StoreSettings()
        expected.volumeIndex = expected.dataDir + "/volume.idx"
        expected.freeVolumeIndex = expected.dataDir + "/free_volume.idx"
        #expect(loaded == expected)
    }

    /// `bfs up` defaults to `./bfs-data`; admin paths are confined to absolute directories, so
    /// the store resolves a relative data directory once (a relative one was refused outright).
    @Test func relativeDataDirectoryIsMadeAbsolute() {
        var settings = StoreSettings()
        settings.dataDir = "./bfs-data"
        settings.volumeIndex = "./bfs-data/volume.idx"
        settings.freeVolumeIndex = "/abs/free_volume.idx"
        let cwd = FileManager.default.currentDirectoryPath
        let resolved = StoreService(settings: settings).settings
        #expect(resolved.dataDir == cwd + "/bfs-data")
        #expect(resolved.volumeIndex == cwd + "/bfs-data/volume.idx")
        #expect(resolved.freeVolumeIndex == "/abs/free_volume.idx")
        #expect(resolved.volumeDirectories == [cwd + "/bfs-data"])
    }

    @Test func typoIsRejectedWithItsName() {
        #expect(throws: ConfigError.unknownKey("store.durable_write")) {
            try StoreSettings.read(ConfigDocument.parse("[store]\ndurable_write = false\n"))
        }
    }

    @Test func badBackendIsRejected() {
        #expect(throws: (any Error).self) {
            try StoreSettings.read(ConfigDocument.parse("[coordination]\nbackend = \"etcd\"\n"))
        }
    }

    @Test func dataDirsAddToTheDataDirAndMustBeAbsolute() throws {
        let s = try StoreSettings.read(ConfigDocument.parse("[store]\ndata_dir = \"/d\"\ndata_dirs = [\"/e\", \"/f\"]\n"))
        #expect(s.volumeDirectories == ["/d", "/e", "/f"])
        #expect(StoreSettings().volumeDirectories == [StoreSettings().dataDir])
        #expect(throws: ConfigError.self) {
            try StoreSettings.read(ConfigDocument.parse("[store]\ndata_dirs = [\"relative\"]\n"))
        }
    }

    @Test func overrides() throws {
        let s = try StoreSettings.read(ConfigDocument.parse("""
            [store]
            id = "s9"
            data_dir = "/d"
            needle_max_size = "1MiB"
            [http]
            api_listen = "127.0.0.1:0"
            [coordination]
            backend = "embedded"
            root = "/cluster-a"
            """))
        #expect(s.id == "s9")
        #expect(s.volumeIndex == "/d/volume.idx")
        #expect(s.needleMaxSize == 1 << 20)
        #expect(s.apiListen.port == 0)
        #expect(s.coordinationBackend == "embedded")
        #expect(s.coordinationRoot == "/cluster-a")
    }
}

@Suite struct TokenBucketTests {
    @Test func burstThenRate() {
        let b = TokenBucket(rate: 10, burst: 3, nowNanos: 0)
        #expect(b.allow(nowNanos: 0))
        #expect(b.allow(nowNanos: 0))
        #expect(b.allow(nowNanos: 0))
        #expect(!b.allow(nowNanos: 0))
        // 10 per second: one token after 100 ms, not before.
        #expect(!b.allow(nowNanos: 50_000_000))
        #expect(b.allow(nowNanos: 100_000_000))
        #expect(!b.allow(nowNanos: 100_000_000))
        // Refill is capped at the burst.
        #expect(b.allow(nowNanos: 10_000_000_000))
        #expect(b.allow(nowNanos: 10_000_000_000))
        #expect(b.allow(nowNanos: 10_000_000_000))
        #expect(!b.allow(nowNanos: 10_000_000_000))
    }
}

@Suite struct StoreMetricsTests {
    @Test func rendersCountersAndHistograms() {
        let m = StoreMetrics()
        m.record(.get, status: 200, elapsedNanos: 300_000)
        m.record(.get, status: 404, elapsedNanos: 100_000)
        m.setVolume(id: 7, sizeBytes: 4096, needles: 3, deleted: 1, damaged: 0)
        let text = String(decoding: m.render(), as: UTF8.self)
        #expect(text.contains(#"bfs_store_requests_total{endpoint="get",status="2xx"} 1"#))
        #expect(text.contains(#"bfs_store_requests_total{endpoint="get",status="4xx"} 1"#))
        #expect(text.contains(#"bfs_store_request_duration_seconds_count{endpoint="get"} 2"#))
        #expect(text.contains(#"bfs_store_volume_needles{vid="7"} 3"#))
    }
}
