import BFSHTTP
import BFSLoop
@testable import BFSProxy
import BFSTestSupport
import Foundation
import Testing

/// The drain file of `/ping` (bfs's `/tmp/proxy.ping`): never looked at from a loop thread.
@Suite(.serialized) struct DrainFileTests {
    @Test func theDrainFileIsNeverCheckedOnALoopThread() throws {
        let group = try EventLoopGroup(loopCount: 1, name: "drain-test")
        defer { group.shutdown() }
        let loops = group.loops
        let checks = Locked((onLoop: 0, offLoop: 0))
        var settings = ProxySettings()
        settings.drainFile = "/drain-file-test"
        let context = ProxyContext(settings: settings, loops: loops, drainProbe: { _ in
            let onLoop = loops.contains { $0.inEventLoop }
            checks.with { if onLoop { $0.onLoop += 1 } else { $0.offLoop += 1 } }
            return true
        })
        let server = HTTPServer(router: makeProxyRouter(context: context))
        defer { server.stop() }
        let endpoint = TestHTTPEndpoint(port: try server.start(on: group))
        #expect(try waitUntil { (try? endpoint.get("/ping").status) == 503 })
        #expect(checks.get.onLoop == 0)
        #expect(checks.get.offLoop >= 1)
        context.stopDrainWatch()
    }
}
