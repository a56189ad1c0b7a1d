import BFSCore
import BFSHTTP
import BFSLoop
import BFSStorage
import BFSTestSupport
import Dispatch
import Foundation
import Glibc
import Synchronization
import Testing
@testable import BFSStore

/// Records `volumeDidChange` calls; answers with `failure` if set, and waits while `gate` is
/// closed (so a test can look at a job that is still running).
final class AdminRecordingEvents: StoreEvents, RegisteredStores, @unchecked Sendable {
    struct Change: Equatable { var id: VolumeID; var block: String; var index: String }
    private let state = Mutex<[Change]>([])
    private let gate = DispatchSemaphore(value: 0)
    private let gated: Bool
    let failure: (any Error)?

    init(gated: Bool = false, failure: (any Error)? = nil) {
        self.gated = gated
        self.failure = failure
    }

    var changes: [Change] { state.withLock { $0 } }

    /// The admin addresses `registeredAdminAddresses` answers (nil: it fails).
    let peers = Mutex<[String]?>([])

    /// Makes `store` a registered store of this one's cluster.
    func register(_ store: AdminTestStore) {
        peers.withLock { $0?.append("127.0.0.1:\(store.adminPort)") }
    }

    func registeredAdminAddresses(completion: @escaping @Sendable (Result<[String], any Error>) -> Void) {
        let peers = self.peers.withLock { $0 }
        completion(peers.map { .success($0) } ?? .failure(AdminTestError()))
    }

    /// Lets one gated call answer.
    func open() { gate.signal() }

    func volumeDidChange(id: VolumeID, block: String, index: String, completion: @escaping @Sendable (Error?) -> Void) {
        state.withLock { $0.append(Change(id: id, block: block, index: index)) }
        let failure = AdminOutcome(error: self.failure)
        if gated {
            DispatchQueue.global().async { [gate] in
                gate.wait()
                completion(failure.error)
            }
        } else {
            completion(failure.error)
        }
    }
}

struct AdminTestError: Error {}

/// One in-process store: volumes in a temp dir, admin and stat listeners on 127.0.0.1:0.
final class AdminTestStore: @unchecked Sendable {
    let dir: TempDir
    let group: EventLoopGroup
    let volumes: StoreVolumes
    let context: StoreContext
    let events: AdminRecordingEvents
    let admin: HTTPServer, stat: HTTPServer
    let adminPort: Int, statPort: Int

    /// The cluster token the admin listener requires ("" = none); `post` sends it.
    let token: String

    init(_ label: String, events: AdminRecordingEvents = AdminRecordingEvents(), token: String = "") throws {
        dir = TempDir("admin-\(label)")
        group = try EventLoopGroup(loopCount: 1, name: "admin-test")
        var settings = StoreSettings()
        settings.dataDir = dir.file("data")
        settings.volumeIndex = dir.file("volume.idx")
        settings.freeVolumeIndex = dir.file("free_volume.idx")
        settings.clusterToken = token
        self.token = token
        settings.dataDirs = [dir.path]
        volumes = try StoreVolumes(fileSystem: PosixFileSystem(), volumeListPath: settings.volumeIndex,
                                   freeListPath: settings.freeVolumeIndex, dataDirectories: settings.volumeDirectories)
        self.events = events
        context = StoreContext(settings: settings, volumes: volumes, events: events)
        admin = HTTPServer(router: AdminAuthorization.guarding(makeAdminRouter(context: context), token: token))
        stat = HTTPServer(router: makeStatRouter(context: context))
        adminPort = try admin.start(on: group)
        statPort = try stat.start(on: group)
    }

    func stop() {
        admin.stop(timeoutMilliseconds: 1000)
        stat.stop(timeoutMilliseconds: 1000)
        group.shutdown()
        volumes.close()
        dir.remove()
    }

    /// Sends one request and waits for the whole answer.
    func send(_ request: HTTPClientRequest) throws -> HTTPClientResponse {
        let done = Completion<Result<HTTPClientResponse, HTTPClientError>>()
        let loop = group.loops[0]
        loop.execute {
            let client = HTTPClient(loop: loop)
            client.execute(request) { result in
                done.fulfill(result)
                client.close()
            }
        }
        guard let result = done.wait(milliseconds: 30_000) else { throw AdminTestError() }
        return try result.get()
    }

    func post(_ path: String, _ form: FormFields) throws -> HTTPClientResponse {
        try send(context.authorized(HTTPClientRequest(host: "127.0.0.1", port: adminPort, target: path, form: form)))
    }

    /// POSTs an admin form and returns the decoded JSON object.
    func postJSON(_ path: String, _ form: FormFields) throws -> [String: Any] {
        let r = try post(path, form)
        #expect(r.status == .ok)
        #expect(r.head.header("Content-Type") == "application/json;charset=utf-8")
        return try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any] ?? [:]
    }

    func get(admin: Bool = true, _ target: String, method: String = "GET") throws -> HTTPClientResponse {
        try send(HTTPClientRequest(method: method, host: "127.0.0.1", port: admin ? adminPort : statPort, target: target))
    }

    /// `/info` decoded.
    func info() throws -> [String: Any] {
        let r = try get(admin: false, "/info")
        #expect(r.status == .ok)
        return try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any] ?? [:]
    }

    /// Polls `/info` until the `loads` or `compactions` entry of `id` has left `running`.
    func waitForJob(_ kind: String, id: VolumeID) throws -> [String: Any] {
        var job: [String: Any] = [:]
        let left = try waitUntil(seconds: 20, pollMilliseconds: 20) {
            let jobs = try info()[kind] as? [[String: Any]] ?? []
            job = jobs.first { ($0["id"] as? Int) == Int(id) } ?? [:]
            return !job.isEmpty && job["state"] as? String != "running"
        }
        if !left { Issue.record("\(kind) job of volume \(id) still running after 20 s") }
        return left ? job : [:]
    }

    /// Adds one free volume and turns it into volume `id`, through the admin API.
    func addVolume(_ id: VolumeID) throws {
        let free = try postJSON("/add_free_volume", ["n": "1", "bdir": dir.file("data"), "idir": dir.file("data")])
        #expect(free["ret"] as? Int == 1)
        let added = try postJSON("/add_volume", ["vid": String(id)])
        #expect(added["ret"] as? Int == 1)
    }
}

/// Blocking wrappers over the volume's callback API.
extension Volume {
    func appendAndWait(key: Int64, cookie: Int32, data: [UInt8]) throws {
        let done = Completion<AdminOutcome>()
        append(key: key, cookie: cookie, data: data) { r in
            if case .failure(let e) = r { done.fulfill(AdminOutcome(error: e)) } else { done.fulfill(AdminOutcome(error: nil)) }
        }
        if let e = done.wait().error { throw e }
    }

    func deleteAndWait(key: Int64) throws {
        let done = Completion<AdminOutcome>()
        delete(key: key) { r in
            if case .failure(let e) = r { done.fulfill(AdminOutcome(error: e)) } else { done.fulfill(AdminOutcome(error: nil)) }
        }
        if let e = done.wait().error { throw e }
    }
}

/// Deterministic bytes from a seed.
func adminPayload(seed: UInt64, size: Int) -> [UInt8] {
    var x = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<size).map { _ in
        x = x &* 6364136223846793005 &+ 1442695040888963407
        return UInt8(truncatingIfNeeded: x >> 33)
    }
}

/// A JSON value as text ("" when absent or not a string).
func adminText(_ value: Any?) -> String {
    value as? String ?? ""
}
