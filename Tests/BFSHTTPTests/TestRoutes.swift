import BFSLoop
import Glibc
@testable import BFSHTTP

/// Routes shared by the HTTP tests.
func testRouter(extra: (inout HTTPRouter) -> Void = { _ in }) -> HTTPRouter {
    var r = HTTPRouter()
    r.add(.get, "/hello") { ex in ex.respond(body: .bytes(Array("hello".utf8))) }
    r.add(.get, "/path") { ex in ex.respond(body: .bytes(Array("\(ex.head.path)|\(ex.head.query)".utf8))) }
    // Answers after `ms` milliseconds of off-loop work (the pool), echoing the query.
    r.add(.get, "/slow") { ex in
        let ms = UInt32(ex.head.query.split(separator: "=").last.flatMap { UInt32($0) } ?? 50)
        ex.loop.runBlocking({ usleep(ms * 1000) }) { _ in
            ex.respond(body: .bytes(Array("slow \(ex.head.query)".utf8)))
        }
    }
    r.add(.post, "/echo") { ex in
        ex.collectBody { result in
            switch result {
            case .success(let body): ex.respond(body: .bytes(body))
            case .failure: break  // the server answers 413 itself
            }
        }
    }
    extra(&r)
    return r
}

func get(_ path: String, keepAlive: Bool = true) -> String {
    "GET \(path) HTTP/1.1\r\nHost: test\r\n" + (keepAlive ? "" : "Connection: close\r\n") + "\r\n"
}
