import BFSCoordination
import BFSHTTP
import BFSLoop
import BFSTestSupport
import Foundation

/// A store that speaks only the bfs store API a pitchfork uses (`GET /info`, `HEAD /probe`),
/// like a Go bfs store: it registers its node JSON in coordination but keeps no `/live` node.
/// Tests set what it reports: volume offsets (to make them nearly full) and the probe answer.
final class FakeStore: @unchecked Sendable {
    struct Volume: Sendable {
        var id: Int32
        var offset: UInt32
        var writes: UInt64 = 0
    }

    struct Behaviour: Sendable {
        var volumes: [Volume]
        var probeStatus = 200
        var infoHits = 0
        var probeHits = 0
    }

    let id: String
    let rack: String
    let behaviour: Locked<Behaviour>
    private let group: EventLoopGroup
    private let server: HTTPServer
    private(set) var port = 0

    init(id: String, rack: String = "rack-go", volumes: [Volume]) throws {
        self.id = id
        self.rack = rack
        let behaviour = Locked(Behaviour(volumes: volumes))
        self.behaviour = behaviour
        group = try EventLoopGroup(loopCount: 1, name: "fake-store")
        var router = HTTPRouter()
        router.add(.get, "/info") { ex in
            let volumes = behaviour.with { b -> [Volume] in
                b.infoHits += 1
                return b.volumes
            }
            let list = volumes.map { v in
                #"{"id":\#(v.id),"stats":{"total_write_processed":\#(v.writes),"total_write_delay":\#(v.writes * 1000)},"block":{"file":"/d/\#(v.id)","offset":\#(v.offset),"size":0,"last_err":null,"ver":1,"padding":8},"index":{"file":"/d/\#(v.id).idx","last_err":null,"offset":0},"compact":false,"compact_offset":0,"compact_time":0}"#
            }
            let json = #"{"ret":1,"server":{"ver":"0.1"},"volumes":[\#(list.joined(separator: ","))],"free_volumes":[]}"#
            ex.respond(status: .ok, body: .bytes(Array(json.utf8)))
        }
        router.add(.get, "/probe") { ex in
            let status = behaviour.with { b -> Int in
                b.probeHits += 1
                return b.probeStatus
            }
            ex.respond(status: HTTPStatus(status))
        }
        server = HTTPServer(router: router)
    }

    /// Starts serving and publishes the store node (status 0) as a bfs store does.
    func start(registeringWith coordination: any Coordination) async throws {
        port = try server.start(on: group)
        let address = "127.0.0.1:\(port)"
        let node = StoreNode(stat: address, admin: address, api: address, id: id, rack: rack, status: .initial)
        let path = ZnodeLayout.store(rack: rack, id: id)
        try await coordination.ensurePath(path)
        try await coordination.set(path, data: node.jsonBytes())
        try await coordination.ensurePath(ZnodeLayout.racks)
        try await coordination.set(ZnodeLayout.racks, data: [])
    }

    func stop() {
        server.stop()
        group.shutdown()
    }
}
