import BFSCoordination
import BFSCore
import BFSHTTP
import BFSLoop
import BFSTestSupport
import Foundation

/// A store's admin and stat listeners reduced to what ops calls (`/info`, `/add_free_volume`,
/// `/add_volume`, `/compact_volume`, `/bulk_volume`), answering from a scripted state and recording every admin call.
final class StubStore: Sendable {
    /// What the stub answers.
    struct State: Sendable {
        var freeVolumeSize: Int64 = 32 << 30
        var freeVolumes = 0
        var volumes: [Int32] = []
        /// Volumes whose compaction runs (forever) once asked for.
        var compacting: Set<Int32> = []
        /// Admin calls received: path and form.
        var calls: [(path: String, form: [String: String])] = []
    }

    let state = Locked(State())
    private let group: EventLoopGroup
    private let server: HTTPServer
    let port: Int

    init() throws {
        group = try EventLoopGroup(loopCount: 1, name: "stub-store")
        var router = HTTPRouter()
        let state = self.state
        router.add(.get, "/info") { ex in
            let s = state.with { $0 }
            let volume = { (id: Int32, compact: Bool) -> [String: Any] in
                ["id": id, "block": ["file": "/d/\(id)", "size": 8], "compact": compact]
            }
            let info: [String: Any] = [
                "volumes": s.volumes.map { volume($0, s.compacting.contains($0)) },
                "free_volumes": (0..<s.freeVolumes).map { _ in volume(0, false) },
                "data_dirs": ["/d"], "free_volume_size": s.freeVolumeSize,
                "compactions": s.compacting.map { ["id": $0, "state": "running", "start_time": 1] },
            ]
            StubStore.reply(ex, info)
        }
        for path in ["/add_free_volume", "/add_volume", "/compact_volume", "/bulk_volume"] {
            router.add(.post, path) { ex in
                ex.collectBody { body in
                    let bytes = (try? body.get()) ?? []
                    let fields = (try? QueryString.parse(String(decoding: bytes, as: UTF8.self))) ?? FormFields()
                    var form: [String: String] = [:]
                    for name in ["n", "vid", "bdir", "idir", "from"] { form[name] = fields.first(name) }
                    let ret = state.with { s -> Int in
                        s.calls.append((path, form))
                        if path == "/compact_volume", let vid = form["vid"].flatMap({ Int32($0) }) {
                            return s.compacting.insert(vid).inserted ? 1 : 8003
                        }
                        if path == "/bulk_volume" { return 1 }
                        if path == "/add_volume", let vid = form["vid"].flatMap({ Int32($0) }) {
                            guard !s.volumes.contains(vid) else { return 8000 }
                            guard s.freeVolumes > 0 else { return 7001 }
                            s.freeVolumes -= 1
                            s.volumes.append(vid)
                            return 1
                        }
                        s.freeVolumes += Int(form["n"] ?? "") ?? 0
                        return 1
                    }
                    StubStore.reply(ex, ["ret": ret, "succeed": Int(form["n"] ?? "") ?? 0])
                }
            }
        }
        var configuration = HTTPServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        server = HTTPServer(configuration: configuration, router: router)
        port = try server.start(on: group)
    }

    /// Stops listening.
    func stop() {
        server.stop()
        group.shutdown()
    }

    /// The store's znode record, every listener on the stub.
    func node(id: StoreID, rack: String) -> StoreNode {
        let address = "127.0.0.1:\(port)"
        return StoreNode(stat: address, admin: address, api: address, id: id, rack: rack, status: .health)
    }

    private static func reply(_ ex: HTTPServerExchange, _ object: [String: Any]) {
        let bytes = (try? JSONSerialization.data(withJSONObject: object)).map(Array.init) ?? []
        ex.respond(status: .ok, headers: ["Content-Type": "application/json"], body: .bytes(bytes))
    }
}

/// A coordination session on `tree` that registers stores as a store would (node, volumes, live).
struct TreeWriter {
    let coordination: EmbeddedCoordination

    init(_ tree: EmbeddedTree) throws {
        let queue = DispatchQueue(label: "tree-writer")
        coordination = try EmbeddedCoordination(tree: tree, executor: { queue.async(execute: $0) })
    }

    /// Registers `node` as a live store holding `volumes`.
    func register(_ node: StoreNode, volumes: [Int32] = []) async throws {
        try await coordination.ensurePath(ZnodeLayout.rack(node.rack))
        _ = try await coordination.create(ZnodeLayout.store(rack: node.rack, id: node.id), data: node.jsonBytes())
        for vid in volumes {
            _ = try await coordination.create(ZnodeLayout.storeVolume(rack: node.rack, id: node.id, vid: VolumeID(vid)))
        }
        try await coordination.ensurePath(ZnodeLayout.liveStores)
        _ = try await coordination.create(ZnodeLayout.live(node.id), mode: .ephemeral)
    }

    /// Publishes `store` as a replica of `vid`.
    func publish(vid: Int32, on store: StoreID) async throws {
        try await coordination.ensurePath(ZnodeLayout.volumeReplica(vid: VolumeID(vid), store: store))
    }

    /// Makes group `gid` of `members`.
    func group(_ gid: Int, _ members: [StoreID]) async throws {
        for store in members { try await coordination.ensurePath(ZnodeLayout.groupMember(gid: gid, store: store)) }
    }

    /// Every group's members, by group id.
    func groups() async throws -> [Int: [StoreID]] {
        var out: [Int: [StoreID]] = [:]
        guard try await coordination.exists(ZnodeLayout.groups) != nil else { return out }
        for name in try await coordination.children(ZnodeLayout.groups) {
            guard let gid = Int(name) else { continue }
            out[gid] = try await coordination.children(ZnodeLayout.group(gid)).sorted()
        }
        return out
    }
}
