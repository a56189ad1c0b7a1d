import BFSLoop
import BFSTestSupport
import Glibc
import Testing
@testable import BFSHTTP

/// Starts a server on its own loop group (port 0), runs `body`, stops everything.
func withServer<R>(
    loops: Int = 1, configure: (inout HTTPServerConfiguration) -> Void = { _ in },
    router: HTTPRouter, _ body: (HTTPServer, Int) throws -> R
) throws -> R {
    var config = HTTPServerConfiguration()
    config.port = 0
    configure(&config)
    let group = try EventLoopGroup(loopCount: loops, name: "http-test")
    let server = HTTPServer(configuration: config, router: router)
    let port = try server.start(on: group)
    defer {
        server.stop(timeoutMilliseconds: 2000)
        group.shutdown()
    }
    return try body(server, port)
}
