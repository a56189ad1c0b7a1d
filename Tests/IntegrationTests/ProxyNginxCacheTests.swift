import BFSTestSupport
import Foundation
import Testing

/// The real proxy behind a real nginx caching reverse proxy, the Tengine/CDN role of DESIGN §7:
/// nginx serves repeat reads from its cache without asking the proxy, and revalidates an
/// expired entry with a conditional request the proxy answers with 304.
@Suite(.serialized) struct ProxyNginxCacheTests {
    /// Series of the proxy's `/metrics` the test reads (prefixes of Prometheus lines).
    enum Series {
        /// GET requests the proxy answered, any status class.
        static let gets = #"bfs_proxy_responses_total{method="GET","#
        /// GET answers with a 3xx status (304 here).
        static let redirections = #"bfs_proxy_responses_total{method="GET",class="3xx"}"#
    }

    @Test func nginxCachesAndRevalidatesAgainstTheProxy() async throws {
        let cluster = try await ProxyCluster.start(label: "proxy-nginx")
        defer { cluster.stop() }
        let nginx = try await NginxServer.start(.cachingProxy(upstreamPort: cluster.proxy.port))
        defer { nginx.stop() }
        let cdn = TestHTTPEndpoint(port: nginx.port)

        // A public bucket with the default ten-year max-age: MISS, then HIT without the proxy.
        let key = try cluster.createBucket("cdn", flags: 1)
        let data = payload(seed: 41, size: 30_000)
        #expect(try cluster.put("cdn", "logo.png", data, key: key, mime: "image/png").status == 201)
        let first = try cluster.read("GET", "cdn", "logo.png", on: cdn)
        #expect(first.status == 200 && first.body == data, "\(first.status)\n\(nginx.accessLog())")
        #expect(first.header("X-Cache-Status") == "MISS")
        #expect(first.header("ETag") == quotedSHA1(data))
        let getsBefore = try cluster.proxy.metric(Series.gets)
        #expect(getsBefore >= 1, "the proxy's GET counter did not count the MISS")
        let second = try cluster.read("GET", "cdn", "logo.png", on: cdn)
        #expect(second.status == 200 && second.body == data)
        #expect(second.header("X-Cache-Status") == "HIT")
        #expect(try cluster.proxy.metric(Series.gets) == getsBefore, "a cache HIT reached the proxy")

        // A bucket whose policy lets caches keep files one second: once that passed nginx
        // revalidates (If-None-Match / If-Modified-Since) and the proxy answers 304.
        let shortKey = try cluster.createBucket("fresh", flags: 1, cachePolicy: "max-age=1")
        let news = payload(seed: 42, size: 5_000)
        #expect(try cluster.put("fresh", "today.jpg", news, key: shortKey, mime: "image/jpeg").status == 201)
        let miss = try cluster.read("GET", "fresh", "today.jpg", on: cdn)
        #expect(miss.status == 200 && miss.body == news)
        #expect(miss.header("X-Cache-Status") == "MISS")
        #expect(miss.header("Cache-Control")?.contains("max-age=1") == true, "\(miss.header("Cache-Control") ?? "no Cache-Control")")
        let redirectionsBefore = try cluster.proxy.metric(Series.redirections)
        var last: TestHTTPResponse?
        // Until the second has passed nginx answers HIT by itself; then the first GET revalidates.
        let revalidated = try waitUntil(seconds: 15, pollMilliseconds: 200) {
            last = try cluster.read("GET", "fresh", "today.jpg", on: cdn)
            return last?.header("X-Cache-Status") != "HIT"
        }
        #expect(revalidated)
        #expect(last?.header("X-Cache-Status") == "REVALIDATED", "\(last?.header("X-Cache-Status") ?? "none")\n\(nginx.accessLog())")
        #expect(last?.status == 200 && last?.body == news)
        #expect(try cluster.proxy.metric(Series.redirections) >= redirectionsBefore + 1, "the proxy answered no 304")
        // nginx's own record of the exchange: its upstream (the proxy) said 304.
        let logged = nginx.accessLog().last { $0.hasSuffix("GET /bfs/fresh/today.jpg") }
        #expect(logged?.hasPrefix("200 304 REVALIDATED") == true, "\(nginx.accessLog())")
    }
}
