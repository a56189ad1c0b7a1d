import BFSHTTP
import Foundation

/// The pitchfork's stat listener (read-only, like the store's stat listener):
///
/// | Path | Method | Answer |
/// |---|---|---|
/// | `/ping` | GET | 200 `ok` (for load balancers and process supervisors) |
/// | `/metrics` | GET | Prometheus text, `Content-Type: text/plain; version=0.0.4` |
/// | `/stores` | GET | JSON `{"id":"<node name>","stores":[{"id","status","good_checks"}]}`: the stores this pitchfork probes |
func makePitchforkStatRouter(metrics: PitchforkMetrics, assignment: ProbeAssignment) -> HTTPRouter {
    var router = HTTPRouter()
    router.add(.get, "/ping") { ex in
        ex.respond(status: .ok, headers: ["Content-Type": "text/plain"], body: .bytes(Array("ok\n".utf8)))
    }
    router.add(.get, "/metrics") { ex in
        ex.respond(status: .ok, headers: ["Content-Type": "text/plain; version=0.0.4"], body: .bytes(metrics.render()))
    }
    router.add(.get, "/stores") { ex in
        let json = (try? JSONEncoder().encode(assignment.owned)).map(Array.init) ?? []
        ex.respond(status: .ok, headers: ["Content-Type": "application/json"], body: .bytes(json))
    }
    return router
}
