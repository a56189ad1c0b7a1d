import BFSHTTP
import BFSLoop
import BFSMetadata
@testable import BFSProxy
import BFSTestSupport
import Foundation

/// A real `ProxyService` in-process against a `FakeDirectory` and four `FakeStore`s: volume 1
/// on stores 0 and 1, volume 2 on stores 2 and 3. Buckets: `pub` (public read) and `priv`
/// (private), each with its own key.
final class ProxyHarness: @unchecked Sendable {
    let group: EventLoopGroup
    let stores: [FakeStore]
    let directory: FakeDirectory
    let proxy: ProxyService
    let endpoint: TestHTTPEndpoint
    let keys: [String: BucketKey] = [
        "pub": BucketKey(keyId: "pubkey0001", secret: "pub-secret"),
        "priv": BucketKey(keyId: "privkey001", secret: "priv-secret"),
    ]

    init(configure: (inout ProxySettings) -> Void = { _ in }) throws {
        let group = try EventLoopGroup(loopCount: 1, name: "proxy-test-backends")
        self.group = group
        let stores = try (0..<4).map { _ in try FakeStore(group: group) }
        self.stores = stores
        directory = try FakeDirectory(group: group, token: "cluster-t0ken",
                                      volumes: [1: [stores[0].address, stores[1].address], 2: [stores[2].address, stores[3].address]])
        directory.buckets.with {
            $0["pub"] = Bucket(name: "pub", flags: .publicRead, keyID: "pubkey0001", secret: "pub-secret", domain: "", cachePolicy: "")
            $0["priv"] = Bucket(name: "priv", flags: [], keyID: "privkey001", secret: "priv-secret", domain: "", cachePolicy: "max-age=60")
        }
        var settings = ProxySettings()
        settings.listen = .init(host: "127.0.0.1", port: 0)
        settings.workers = 2
        settings.directory = .init(host: "127.0.0.1", port: directory.port)
        settings.clusterToken = "cluster-t0ken"
        settings.domain = "https://img.example.com"
        settings.storeTimeout = .seconds(5)
        settings.directoryTimeout = .seconds(5)
        configure(&settings)
        proxy = ProxyService(settings: settings)
        endpoint = TestHTTPEndpoint(port: try proxy.start())
    }

    /// Runs `body` with a fresh harness and stops everything afterwards.
    static func with(configure: (inout ProxySettings) -> Void = { _ in }, _ body: (ProxyHarness) throws -> Void) throws {
        let harness = try ProxyHarness(configure: configure)
        defer { harness.stop() }
        try body(harness)
    }

    func stop() {
        proxy.stop()
        directory.stop()
        for store in stores { store.stop() }
        group.shutdown()
    }

    /// A token for `method bucket filename`, signed `skew` seconds from now with the bucket's key
    /// (or `key`).
    func token(_ method: String, _ bucket: String, _ filename: String, skew: Int64 = 0, key: BucketKey? = nil) -> String {
        let now = Int64(Date().timeIntervalSince1970) + skew
        return BucketToken.sign(method: method, bucket: bucket, filename: filename, at: now, key: key ?? keys[bucket]!).text
    }

    /// Sends a request to the proxy; `signed` adds a good token for the path's bucket and filename.
    func request(_ method: String, _ bucket: String, _ filename: String, query: String = "", headers: [(String, String)] = [],
                 body: [UInt8] = [], signed: Bool = false, chunked: Bool = false) throws -> TestHTTPResponse {
        var all = headers
        if signed { all.append(("Authorization", token(method, bucket, filename))) }
        let target = "/bfs/\(bucket)/\(filename)" + (query.isEmpty ? "" : "?\(query)")
        let client = try TestHTTPClient(port: endpoint.port)
        return try client.request(method, target, headers: [("Connection", "close")] + all, body: body, chunked: chunked)
    }

    /// The value of an unlabelled series on the proxy's `/metrics`.
    func metric(_ name: String) throws -> Double {
        let text = try endpoint.get("/metrics").text
        let line = text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { Double($0.split(separator: " ")[1]) } ?? -1
    }

    /// Store reads over every store.
    var storeReads: Int { stores.reduce(0) { $0 + $1.reads.get } }

    /// Puts `data` on both stores of `vid` and a directory row for it.
    @discardableResult
    func seed(_ bucket: String, _ filename: String, _ data: [UInt8], key: Int64, vid: Int32 = 1, mime: String = "image/png",
              mtime: Int64 = 1_700_000_000, size: Int64? = nil) -> String {
        let sha1 = ContentName.sha1Hex(data)
        for store in vid == 1 ? stores[0...1] : stores[2...3] { store.needles.with { $0[key] = data } }
        directory.put(bucket, filename, .init(key: key, cookie: 7, vid: vid, sha1: sha1, mime: mime,
                                              size: size ?? Int64(data.count), mtime: mtime * 1_000_000_000))
        return sha1
    }
}
