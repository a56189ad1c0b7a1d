import BFSCore
@testable import BFSProxy
import Foundation
import Testing

@Suite struct ProxySettingsTests {
    /// The shipped sample must load, and every key it sets must equal the built-in default, so
    /// the comments in Conf/proxy.toml tell the truth.
    @Test func sampleConfigLoadsAndMatchesDefaults() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Conf/proxy.toml").standardized.path
        #expect(try ProxySettings.load(path: path) == ProxySettings())
    }

    @Test func typoIsRejectedWithItsName() {
        #expect(throws: ConfigError.unknownKey("proxy.max_filesize")) {
            try ProxySettings.read(ConfigDocument.parse("[proxy]\nmax_filesize = \"1MiB\"\n"))
        }
        #expect(throws: ConfigError.unknownKey("cache.ttl")) {
            try ProxySettings.read(ConfigDocument.parse("[cache]\nttl = \"1s\"\n"))
        }
    }

    @Test func badValuesAreRejectedByName() {
        let cases: [(String, String)] = [
            ("[proxy]\nmax_file_size = \"lots\"\n", "proxy.max_file_size"),
            ("[proxy]\nprefix = \"/b fs/\"\n", "proxy.prefix"),
            ("[proxy]\ndomain = \"img.example.com\"\n", "proxy.domain"),
            ("[proxy]\nmax_file_size = \"20MiB\"\nupload_budget = \"10MiB\"\n", "proxy.upload_budget"),
            ("[proxy]\ncluster_token = \"a b\"\n", "proxy.cluster_token"),
            ("[proxy]\ndirectory = \"nowhere\"\n", "proxy.directory"),
            ("[backend]\nstore_timeout = \"0s\"\n", "backend.store_timeout"),
            ("[http]\nworkers = 1000\n", "http.workers"),
            ("[cache]\nmetadata_capacity = 0\n", "cache.metadata_capacity"),
        ]
        for (text, key) in cases {
            do {
                _ = try ProxySettings.read(ConfigDocument.parse(text))
                Issue.record("\(key) accepted")
            } catch {
                #expect("\(error)".contains(key), "\(error)")
            }
        }
    }

    @Test func valuesAreRead() throws {
        let s = try ProxySettings.read(ConfigDocument.parse("""
            [proxy]
            directory = "10.0.0.5:6065"
            prefix = "img"
            max_file_size = "1MiB"
            [cache]
            metadata_ttl = "3s"
            [ping]
            drain_file = "/tmp/proxy.ping"
            """))
        #expect(s.directory == HostPort(host: "10.0.0.5", port: 6065))
        #expect(s.prefix == "/img/")
        #expect(s.maxFileSize == 1 << 20)
        #expect(s.metadataCacheTTL == .seconds(3))
        #expect(s.drainFile == "/tmp/proxy.ping")
    }

    @Test func prefixesNormalise() {
        #expect(ProxySettings.normalisedPrefix("/bfs/") == "/bfs/")
        #expect(ProxySettings.normalisedPrefix("bfs") == "/bfs/")
        #expect(ProxySettings.normalisedPrefix("/a/b") == "/a/b/")
        #expect(ProxySettings.normalisedPrefix("/") == "/")
        #expect(ProxySettings.normalisedPrefix("") == "/")
        #expect(ProxySettings.normalisedPrefix("/../x") == nil)
    }
}

@Suite struct ProxyPathTests {
    @Test func pathsSplitIntoBucketAndFilename() throws {
        #expect(try ProxyPath(path: "/bfs/b/a/c.jpg", prefix: "/bfs/") == ProxyPath(bucket: "b", filename: "a/c.jpg"))
        #expect(try ProxyPath(path: "/bfs/b/", prefix: "/bfs/") == ProxyPath(bucket: "b", filename: ""))
        #expect(try ProxyPath(path: "/bfs/b", prefix: "/bfs/") == ProxyPath(bucket: "b", filename: ""))
        #expect(try ProxyPath(path: "/bfs/b/%E7%8C%AB%20x.jpg", prefix: "/bfs/") == ProxyPath(bucket: "b", filename: "猫 x.jpg"))
        #expect(try ProxyPath(path: "/b/x", prefix: "/") == ProxyPath(bucket: "b", filename: "x"))
        #expect(throws: ProxyError.emptyBucket) { try ProxyPath(path: "/bfs//x", prefix: "/bfs/") }
        #expect(throws: ProxyError.badPathEncoding) { try ProxyPath(path: "/bfs/b/%g0", prefix: "/bfs/") }
        #expect(throws: ProxyError.badPathEncoding) { try ProxyPath(path: "/bfs/b/%ff", prefix: "/bfs/") }
        #expect(throws: ProxyError.pathOutsidePrefix) { try ProxyPath(path: "/img/b/x", prefix: "/bfs/") }
        #expect(throws: ProxyError.filenameTooLong(size: 101)) {
            try ProxyPath(path: "/bfs/b/" + String(repeating: "x", count: 101), prefix: "/bfs/")
        }
        #expect(try ProxyPath(path: "/bfs/b/" + String(repeating: "x", count: 100), prefix: "/bfs/").filename.utf8.count == 100)
    }

    @Test func bucketCachePoliciesParse() {
        #expect(CachePolicy(bucketValue: "") == .standard)
        #expect(CachePolicy(bucketValue: "max-age=60") == CachePolicy(maxAge: 60))
        #expect(CachePolicy(bucketValue: "public, max-age=31536000, immutable") == CachePolicy(maxAge: 31_536_000, immutable: true))
        #expect(CachePolicy(bucketValue: "no-cache") == CachePolicy(maxAge: 0))
        #expect(CachePolicy(bucketValue: "max-age=banana") == .standard)
    }
}
