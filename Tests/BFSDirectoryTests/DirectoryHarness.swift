import BFSCluster
import BFSCoordination
import BFSCore
@testable import BFSDirectory
import BFSHTTP
import BFSLoop
import BFSMetadata
import BFSTestSupport
import Foundation

/// A stand-in for a store's api listener: records every `POST /del` and answers `{"ret":1}`,
/// or `{"ret":65535}` while `failing` (a replica that cannot delete right now).
final class FakeStore: Sendable {
    let server: HTTPServer
    let port: Int
    let deletes = Locked<[NeedleKey]>([])
    let failing = Locked(false)

    init(group: EventLoopGroup) throws {
        let deletes = self.deletes, failing = self.failing
        var router = HTTPRouter()
        router.add(.post, "/del") { ex in
            ex.collectBody(limit: 4096) { result in
                guard case .success(let body) = result,
                      let fields = body.withUnsafeBytes({ try? QueryString.parse(bytes: $0) }),
                      let key = fields.first("key").flatMap({ Int64($0) }) else { return }
                let fail = failing.get
                if !fail { deletes.with { $0.append(key) } }
                ex.respond(body: .bytes(Array((fail ? "{\"ret\":65535}" : "{\"ret\":1}").utf8)))
            }
        }
        server = HTTPServer(router: router)
        port = try server.start(on: group)
    }

    var deleted: [NeedleKey] { deletes.get }
}

/// One in-process directory over a given metadata store: its router on a real listener, two fake
/// stores forming group 1 with volume 1, the wall clock plus an offset the test moves, and the reaper.
final class DirectoryHarness: @unchecked Sendable {
    let group: EventLoopGroup
    let stores: [FakeStore]
    let offset: Locked<UnixNanos>
    let context: DirectoryContext
    let server: HTTPServer
    let endpoint: TestHTTPEndpoint
    let reaper: DirectoryReaper

    init(metadata: any MetadataStore, worker: Int = 1, token: String = "", group: EventLoopGroup? = nil,
         stores shared: [FakeStore]? = nil) throws {
        let group = try group ?? EventLoopGroup(loopCount: 1, name: "directory-test")
        self.group = group
        stores = try shared ?? [FakeStore(group: group), FakeStore(group: group)]
        var builder = SnapshotBuilder()
        for (i, store) in stores.enumerated() {
            let id = "s-\(i)"
            builder.snapshot.stores[id] = ClusterStore(
                node: StoreNode(stat: "127.0.0.1:1", admin: "127.0.0.1:1", api: "127.0.0.1:\(store.port)", id: id, rack: "r", status: .health),
                isLive: true, volumes: [1])
        }
        builder.group(1, stores.indices.map { "s-\($0)" })
        builder.volume(1, on: stores.indices.map { "s-\($0)" }, free: UInt32.max - 1)
        let snapshot = builder.snapshot
        let offset = Locked<UnixNanos>(0)
        self.offset = offset
        var settings = DirectorySettings()
        settings.clusterToken = token
        settings.allocationTimeout = .seconds(60)
        // Retries an hour apart: a test moves the clock past them, and real time under load never does.
        settings.tombstoneRetry = .seconds(3600)
        settings.tombstoneRetryMax = .seconds(7200)
        let keys = KeyGenerator()
        keys.setWorker(worker)
        context = DirectoryContext(settings: settings, metadata: metadata, snapshot: { snapshot }, keys: keys,
                                   now: { DirectoryContext.wallClockNanos() + offset.get })
        server = HTTPServer(router: makeDirectoryRouter(context: context))
        endpoint = TestHTTPEndpoint(port: try server.start(on: group))
        reaper = DirectoryReaper(context: context, loop: group.loops[0], logger: .init(label: "test.reaper"))
    }

    /// Moves the directory's clock forward.
    func advance(_ duration: Duration) {
        offset.with { $0 += duration.wholeNanoseconds }
    }

    /// `POST /allocate` then, unless told otherwise, `POST /commit`; the allocation's answer.
    func upload(_ filename: String, bucket: String = "b", commit: Bool = true) throws -> (key: NeedleKey, allocate: TestHTTPResponse, commit: TestHTTPResponse?) {
        let allocate = try endpoint.postForm("/allocate", [("bucket", bucket), ("filename", filename), ("mime", "image/png")])
        let key = (allocate.json["key"] as? NSNumber)?.int64Value ?? 0
        guard commit else { return (key, allocate, nil) }
        let done = try endpoint.postForm("/commit", [("key", "\(key)"), ("sha1", String(repeating: "a", count: 40)),
                                                     ("size", "3"), ("mtime", "1700000000000000000")])
        return (key, allocate, done)
    }

    func stop() {
        server.stop()
        for store in stores { store.server.stop() }
    }
}

/// Far enough ahead that every row is due.
let farFuture: UnixNanos = .max / 2
