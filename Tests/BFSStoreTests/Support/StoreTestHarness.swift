import BFSCore
import BFSHTTP
import BFSLoop
import BFSStorage
import BFSTestSupport
import Glibc
import Synchronization
@testable import BFSStore

/// An in-process store over a fresh temp dir: volumes (small preallocation), a context with a
/// recording `StoreEvents`, an event loop group and an HTTP server on 127.0.0.1:0 serving the
/// router `makeRouter` builds (the api router by default).
///
/// ```swift
/// try withStoreHarness { h in
///     let c = try h.client()
///     let r = try c.upload(vid: 1, key: 7, cookie: 9, data: [1, 2, 3])
/// }
/// ```
final class StoreTestHarness {
    /// The temp dir holding the list files and volumes.
    let dir: String
    private let temp: TempDir
    let settings: StoreSettings
    let volumeSettings: VolumeSettings
    private(set) var volumes: StoreVolumes
    private(set) var context: StoreContext
    let events = RecordingStoreEvents()
    let group: EventLoopGroup
    private(set) var server: HTTPServer?
    /// The port the server listens on.
    let port: Int

    /// Starts everything; `vids` become active volumes (one free volume each, then `addVolume`).
    init(settings: StoreSettings = StoreSettings(), vids: [VolumeID] = [1], loops: Int = 1,
         fileSystem: FileSystem = PosixFileSystem(),
         makeRouter: (StoreContext) -> HTTPRouter = { makeAPIRouter(context: $0) }) throws {
        temp = TempDir("store")
        dir = temp.path
        var s = settings
        s.dataDir = dir
        s.volumeIndex = dir + "/volume.idx"
        s.freeVolumeIndex = dir + "/free_volume.idx"
        s.freeVolumeSize = 1 << 20
        self.settings = s
        var v = VolumeSettings()
        v.needleMaxSize = Int(s.needleMaxSize)
        v.durableWrites = s.durableWrites
        v.blockPreallocation = s.freeVolumeSize
        volumeSettings = v
        volumes = try StoreVolumes(fileSystem: fileSystem, volumeListPath: s.volumeIndex,
                                   freeListPath: s.freeVolumeIndex, settings: v)
        if !vids.isEmpty {
            try volumes.addFreeVolumes(count: vids.count, blockDirectory: dir, indexDirectory: dir)
            for vid in vids { try volumes.addVolume(vid) }
        }
        context = StoreContext(settings: s, volumes: volumes, events: events)
        group = try EventLoopGroup(loopCount: loops, name: "store-test")
        var http = HTTPServerConfiguration()
        http.maxBodyBytes = Int.max  // the api handlers bound bodies themselves (see makeAPIRouter)
        let server = HTTPServer(configuration: http, router: makeRouter(context))
        port = try server.start(on: group)
        self.server = server
    }

    /// A new blocking client connected to the server.
    func client() throws -> TestHTTPClient { try TestHTTPClient(port: port) }

    /// Stops the server and closes the volumes, then opens the volume lists again from disk (as
    /// a restarted store would) and returns them; the caller closes them.
    func stopAndReopenVolumes() throws -> StoreVolumes {
        server?.stop(timeoutMilliseconds: 2000)
        server = nil
        volumes.close()
        return try StoreVolumes(fileSystem: PosixFileSystem(), volumeListPath: settings.volumeIndex,
                                freeListPath: settings.freeVolumeIndex, settings: volumeSettings)
    }

    /// Stops the server and loops, closes the volumes and removes the temp dir.
    func shutdown() {
        server?.stop(timeoutMilliseconds: 2000)
        server = nil
        group.shutdown()
        volumes.close()
        temp.remove()
    }
}

/// Runs `body` with a started harness and always shuts it down.
func withStoreHarness<R>(settings: StoreSettings = StoreSettings(), vids: [VolumeID] = [1], loops: Int = 1,
                         _ body: (StoreTestHarness) throws -> R) throws -> R {
    let harness = try StoreTestHarness(settings: settings, vids: vids, loops: loops)
    defer { harness.shutdown() }
    return try body(harness)
}

/// A `StoreEvents` that records the calls and accepts them all.
final class RecordingStoreEvents: StoreEvents {
    /// One recorded `volumeDidChange`.
    struct Change: Equatable, Sendable {
        var id: VolumeID
        var block: String
        var index: String
    }

    private let recorded = Mutex<[Change]>([])

    /// The calls so far, in order.
    var changes: [Change] { recorded.withLock { $0 } }

    func volumeDidChange(id: VolumeID, block: String, index: String, completion: @escaping @Sendable (Error?) -> Void) {
        recorded.withLock { $0.append(Change(id: id, block: block, index: index)) }
        completion(nil)
    }
}

/// A pseudo-random byte source with a printed seed (xorshift64*), for reproducible payloads.
struct SeededRandom {
    private var state: UInt64

    /// A generator; the seed is printed so a failing run can be replayed.
    init(seed: UInt64 = UInt64.random(in: 1...UInt64.max), label: String = "") {
        print("seed \(label): \(seed)")
        state = seed
    }

    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 2_685_821_657_736_338_717
    }

    mutating func bytes(_ n: Int) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(n + 8)
        while out.count < n { withUnsafeBytes(of: next()) { out.append(contentsOf: $0) } }
        return Array(out.prefix(n))
    }
}
