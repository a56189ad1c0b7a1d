import BFSHTTP
import BFSLoop
import BFSTestSupport
import Foundation
import Testing

/// The test harness's nginx (`NginxServer`) does what the proxy tests rely on: it serves files,
/// and as a caching reverse proxy it answers repeat reads from its cache without the upstream.
@Suite(.serialized) struct NginxServerTests {
    @Test func servesFilesFromItsRoot() async throws {
        let root = TempDir("nginx-root")
        defer { root.remove() }
        let data = payload(seed: 51, size: 4096)
        try Data(data).write(to: URL(fileURLWithPath: root.file("4k.bin")))
        let nginx = try await NginxServer.start(.files(root: root.path))
        defer { nginx.stop() }
        let get = try TestHTTPEndpoint(port: nginx.port).get("/4k.bin")
        #expect(get.status == 200 && get.body == data)
        #expect(try TestHTTPEndpoint(port: nginx.port).get("/missing").status == 404)
    }

    @Test func cachingProxyServesRepeatReadsFromItsCache() async throws {
        let hits = Locked(0)
        let group = try EventLoopGroup(loopCount: 1, name: "nginx-upstream")
        defer { group.shutdown() }
        var router = HTTPRouter()
        router.add(.get, "/a.txt") { ex in
            hits.with { $0 += 1 }
            ex.respond(status: .ok, headers: ["Cache-Control": "public, max-age=600", "Content-Type": "text/plain"],
                       body: .bytes(Array("hello".utf8)))
        }
        let upstream = HTTPServer(router: router)
        let port = try upstream.start(on: group)
        defer { upstream.stop() }

        let nginx = try await NginxServer.start(.cachingProxy(upstreamPort: port))
        defer { nginx.stop() }
        let endpoint = TestHTTPEndpoint(port: nginx.port)
        let first = try endpoint.get("/a.txt")
        #expect(first.status == 200 && first.text == "hello")
        #expect(first.header("X-Cache-Status") == "MISS")
        let second = try endpoint.get("/a.txt")
        #expect(second.status == 200 && second.text == "hello")
        #expect(second.header("X-Cache-Status") == "HIT")
        #expect(hits.get == 1)
        nginx.stop()
        // Stopped means reaped: the port no longer answers.
        #expect((try? endpoint.get("/nginx-ready")) == nil)
    }
}
