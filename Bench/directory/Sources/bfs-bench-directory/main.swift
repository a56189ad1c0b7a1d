// Directory benchmark server and upload driver (Bench/directory/run.sh drives it).
//
// Starts a `DirectoryService` in-process on one loop with embedded coordination holding a
// healthy two-store group (the stores are never called: allocate/commit touch only metadata),
// then measures committed uploads per second: 32 concurrent chains of POST /allocate ->
// POST /commit over keep-alive connections, for the given duration. The files it committed stay
// for the /get workload: it prints "READY <port> <n>" (every chain committed f-<chain>-0 ..< n)
// and serves until stdin closes.
//
// Usage: bfs-bench-directory sqlite|postgres <sqlite path | conninfo> <seconds>
import BFSCoordination
import BFSCore
import BFSDirectory
import BFSHTTP
import BFSLoop
import BFSMetadata
import Dispatch
import Foundation
import Synchronization

let arguments = CommandLine.arguments
guard arguments.count == 4, let seconds = Double(arguments[3]) else {
    FileHandle.standardError.write(Data("usage: bfs-bench-directory sqlite|postgres <path|conninfo> <seconds>\n".utf8))
    exit(2)
}

/// Blocks on async coordination setup from this plain thread.
func blocking(_ work: @escaping @Sendable () async throws -> Void) {
    let done = DispatchSemaphore(value: 0)
    Task {
        do { try await work() } catch { fatalError("setup failed: \(error)") }
        done.signal()
    }
    done.wait()
}

let tree = EmbeddedTree()
let setup = try EmbeddedCoordination(tree: tree, executor: { $0() })
blocking {
    for id in ["s-0", "s-1"] {
        let node = StoreNode(stat: "127.0.0.1:1", admin: "127.0.0.1:1", api: "127.0.0.1:1", id: id, rack: "r", status: .health)
        try await setup.ensurePath("/rack/r/\(id)/1")
        _ = try await setup.set("/rack/r/\(id)", data: node.jsonBytes())
        try await setup.ensurePath("/live")
        _ = try await setup.create("/live/\(id)", mode: .ephemeral)
        try await setup.ensurePath("/group/1/\(id)")
        try await setup.ensurePath("/volume/1/\(id)")
    }
    let state = VolumeState(totalWriteProcessed: 0, totalWriteDelay: 0, freeSpace: 4_000_000_000)
    _ = try await setup.set("/volume/1", data: state.jsonBytes())
}

var settings = DirectorySettings()
settings.metadataBackend = arguments[1]
if arguments[1] == "postgres" { settings.postgresConninfo = arguments[2] } else { settings.sqlitePath = arguments[2] }
settings.listen = HostPort(host: "127.0.0.1", port: 0)
settings.workers = 1
// BFS_READERS / BFS_WRITERS override the metadata connection counts (default 2 each).
if let readers = ProcessInfo.processInfo.environment["BFS_READERS"].flatMap(Int.init) { settings.metadataReaders = readers }
if let writers = ProcessInfo.processInfo.environment["BFS_WRITERS"].flatMap(Int.init) { settings.metadataWriters = writers }
settings.coordinationBackend = "embedded"
let service = DirectoryService(settings: settings, coordination: .embedded(tree))
let port = try service.start()
guard let context = service.context else { fatalError("no context") }
blocking { _ = try await context.metadata.createBucket(NewBucket(name: "bench")) }

// Upload driver: its own loop, 32 chains.
let driver = try EventLoopGroup(loopCount: 1, name: "bench-driver")
let loop = driver.loops[0]
let client = HTTPClient(loop: loop, configuration: .init(maxIdlePerHost: 64))
let committed = Atomic<Int>(0)
let failures = Atomic<Int>(0)
let deadline = monotonicNanos() + UInt64(seconds * 1e9)
let finished = DispatchSemaphore(value: 0)
/// Files each chain committed: names f-<chain>-0 ..< count exist.
let perChain = Mutex<[Int]>([])
let started = monotonicNanos()

@Sendable func post(_ target: String, _ form: FormFields, _ done: @escaping (String?) -> Void) {
    client.execute(HTTPClientRequest(host: "127.0.0.1", port: port, target: target, form: form)) { result in
        guard case .success(let response) = result, response.status == .ok else { return done(nil) }
        done(response.text)
    }
}

@Sendable func chain(_ id: Int, _ n: Int) {
    guard monotonicNanos() < deadline else {
        perChain.withLock { $0.append(n) }
        finished.signal()
        return
    }
    post("/allocate", ["bucket": "bench", "filename": "f-\(id)-\(n)", "mime": "image/jpeg"]) { text in
        guard let text, text.hasPrefix("{\"ret\":1,"), let keyText = text.split(separator: ",").first(where: { $0.hasPrefix("\"key\":") }),
              let key = Int64(keyText.dropFirst(6)) else {
            failures.add(1, ordering: .relaxed)
            return chain(id, n)
        }
        post("/commit", ["key": "\(key)", "sha1": "da39a3ee5e6b4b0d3255bfef95601890afd80709", "size": "4096", "mtime": "1"]) { text in
            guard text?.hasPrefix("{\"ret\":1,") == true else {
                failures.add(1, ordering: .relaxed)
                return chain(id, n)  // a fresh allocation under the same name; the failed one is reaped
            }
            committed.add(1, ordering: .relaxed)
            chain(id, n + 1)
        }
    }
}

let chains = 32
loop.execute { for id in 0..<chains { chain(id, 0) } }
for _ in 0..<chains { finished.wait() }
let elapsed = Double(monotonicNanos() - started) / 1e9
let count = committed.load(ordering: .relaxed)
print(String(format: "commits %d in %.1f s = %.0f committed uploads/s (failures %d)", count, elapsed, Double(count) / elapsed,
             failures.load(ordering: .relaxed)))
print("READY \(port) \(perChain.withLock { $0.min() ?? 0 })")
fflush(nil)
_ = FileHandle.standardInput.readDataToEndOfFile()
service.stop()
