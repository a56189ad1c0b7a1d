import BFSHTTP
@testable import BFSProxy
import BFSTestSupport
import Foundation
import Testing

/// GET/HEAD/DELETE/listing through a real proxy: replica failover, the stale-cache refetch,
/// lengths unknown to metadata, large streamed bodies, deletes, `/ping` drain and `/metrics`.
@Suite(.serialized) struct ReadServiceTests {
    static let data: [UInt8] = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7) }

    @Test func aDeadReplicaFailsOverToTheNext() throws {
        let dead = try PortReservation()
        try ProxyHarness.with { h in
            h.seed("pub", "cat.png", Self.data, key: 5)
            // Volume 1: a store that refuses connections first or second, then a live one.
            h.directory.volumes.with { $0[1] = ["127.0.0.1:\(dead.port)", h.stores[0].address] }
            var reads = 0
            while (try h.metric("bfs_proxy_replica_failovers_total")) == 0 && reads < 60 {
                let get = try h.request("GET", "pub", "cat.png")
                #expect(get.status == 200)
                #expect(get.body == Self.data)
                reads += 1
            }
            // The start replica is random: within 60 reads one starts at the dead one (p = 2^-60 otherwise).
            #expect((try h.metric("bfs_proxy_replica_failovers_total")) >= 1)
            #expect((try h.metric("bfs_proxy_store_errors_total")) >= 1)
        }
        _ = dead
    }

    @Test func aReplicaDyingMidBodyIsResumedFromTheNextAtTheSameByte() throws {
        try ProxyHarness.with { h in
            let big: [UInt8] = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 131 >> 3) }
            h.seed("pub", "big.bin", big, key: 8)
            h.stores[0].cutReads.with { $0 = .half }
            var reads = 0
            while try h.metric("bfs_proxy_replica_failovers_total") == 0 && reads < 60 {
                let get = try h.request("GET", "pub", "big.bin")
                #expect(get.status == 200)
                #expect(get.body == big)
                reads += 1
            }
            #expect(try h.metric("bfs_proxy_replica_failovers_total") >= 1)
            // Ranges resume the same way.
            let range = try h.request("GET", "pub", "big.bin", headers: [("Range", "bytes=1000-400999")])
            #expect(range.status == 206 && range.body == Array(big[1000...400_999]))
            // Both replicas cutting after some bytes: each attempt makes progress, so the relay
            // keeps resuming until the body is complete.
            h.stores[1].cutReads.with { $0 = .half }
            #expect(try h.request("GET", "pub", "big.bin").body == big)
            // Both replicas dying before any byte: the client gets a connection closed short of
            // Content-Length, never a wrong body.
            for store in h.stores[0...1] { store.cutReads.with { $0 = .afterHead } }
            let client = try TestHTTPClient(port: h.endpoint.port)
            try client.send("GET /bfs/pub/big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readHead().contains("Content-Length: \(big.count)"))
            #expect(try client.readToEOF().count < big.count)
        }
    }

    @Test func aHungReplicaCostsTheHeadTimeoutNotTheStoreTimeout() throws {
        try ProxyHarness.with(configure: { $0.storeHeadTimeout = .milliseconds(200); $0.storeTimeout = .seconds(600) }) { h in
            h.seed("pub", "cat.png", Self.data, key: 5)
            h.stores[0].hangReads.with { $0 = true }
            var reads = 0
            // With only the 600 s store timeout a read starting at the hung store would outlast
            // the test client's 20 s.
            while try h.metric("bfs_proxy_replica_failovers_total") == 0 && reads < 60 {
                let get = try h.request("GET", "pub", "cat.png")
                #expect(get.status == 200 && get.body == Self.data)
                reads += 1
            }
            #expect(try h.metric("bfs_proxy_replica_failovers_total") >= 1)
            #expect(h.stores[0].reads.get >= 1)
        }
    }

    @Test func everyReplicaDownIs502WithABody() throws {
        let dead = try PortReservation()
        try ProxyHarness.with { h in
            h.seed("pub", "cat.png", Self.data, key: 5)
            h.directory.volumes.with { $0[1] = ["127.0.0.1:\(dead.port)", "127.0.0.1:\(dead.port)"] }
            let get = try h.request("GET", "pub", "cat.png")
            #expect(get.status == 502)
            #expect(get.text.contains("replica"))
            // HEAD needs no store at all.
            #expect(try h.request("HEAD", "pub", "cat.png").status == 200)
        }
        _ = dead
    }

    @Test func aStore404ForACachedEntryRefetchesOnce() throws {
        try ProxyHarness.with { h in
            h.seed("pub", "cat.png", Self.data, key: 5)
            #expect(try h.request("GET", "pub", "cat.png").body == Self.data)
            #expect(h.directory.count("/get") == 1)
            // Another proxy overwrote the file: new needle, old one deleted from the stores.
            let fresh: [UInt8] = Array("new content".utf8)
            h.seed("pub", "cat.png", fresh, key: 6)
            for store in h.stores { store.needles.with { $0[5] = nil } }
            let get = try h.request("GET", "pub", "cat.png")
            #expect(get.status == 200)
            #expect(get.body == fresh)
            #expect(get.header("ETag") == "\"\(ContentName.sha1Hex(fresh))\"")
            #expect(h.directory.count("/get") == 2)
            // Deleted everywhere: the refetch says 404, and only one refetch happens.
            h.directory.files.with { $0["pub/cat.png"] = nil }
            for store in h.stores { store.needles.with { $0[6] = nil } }
            #expect(try h.request("GET", "pub", "cat.png").status == 404)
            #expect(h.directory.count("/get") == 3)
            #expect((try h.metric("bfs_proxy_metadata_cache_hits_total")) >= 2)
        }
    }

    @Test func aLengthMetadataDoesNotKnowComesFromAStore() throws {
        try ProxyHarness.with { h in
            // A row written through bfs's plain /upload: size 0.
            h.seed("pub", "old.png", Self.data, key: 9, size: 0)
            let head = try h.request("HEAD", "pub", "old.png")
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == "3000")
            let range = try h.request("GET", "pub", "old.png", headers: [("Range", "bytes=2990-")])
            #expect(range.status == 206)
            #expect(range.header("Content-Range") == "bytes 2990-2999/3000")
            #expect(range.body == Array(Self.data[2990...]))
            // The learned length is cached with the lookup: a second HEAD asks no store.
            let reads = h.storeReads
            #expect(try h.request("HEAD", "pub", "old.png").header("Content-Length") == "3000")
            #expect(h.storeReads == reads)
        }
    }

    @Test func aLargeBodyStreamsIntactToASlowReader() throws {
        try ProxyHarness.with { h in
            let big: [UInt8] = (0..<(6 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 13) }
            h.seed("pub", "big.bin", big, key: 11)
            let client = try TestHTTPClient(port: h.endpoint.port, receiveBuffer: 16 * 1024)
            try client.send("GET /bfs/pub/big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let head = try client.readHead()
            #expect(head.contains("200 OK"))
            #expect(head.contains("Content-Length: \(big.count)"))
            var pauses = 0
            let body = try client.read(count: big.count, pause: {
                pauses += 1
                if pauses % 64 == 0 { usleep(2000) }
            }, chunk: 16 * 1024)
            #expect(body == big)
        }
    }

    @Test func deleteRemovesEverywhere() throws {
        try ProxyHarness.with { h in
            h.seed("pub", "cat.png", Self.data, key: 5)
            #expect(try h.request("GET", "pub", "cat.png").status == 200)  // cached now
            let delete = try h.request("DELETE", "pub", "cat.png", signed: true)
            #expect(delete.status == 204)
            #expect(delete.header("Code") == "200")
            #expect(try waitUntil { h.stores[0].deletes.get == [5] && h.stores[1].deletes.get == [5] })
            #expect(try h.request("GET", "pub", "cat.png").status == 404)
            let again = try h.request("DELETE", "pub", "cat.png", signed: true)
            #expect(again.status == 404)
            #expect(again.header("Code") == "5001")
            #expect(try h.request("DELETE", "pub", "cat.png").status == 401)
        }
    }

    @Test func listingPagesWithAToken() throws {
        try ProxyHarness.with { h in
            for (i, name) in ["a/1.png", "a/2.png", "b.png"].enumerated() {
                h.seed("pub", name, Self.data, key: Int64(20 + i), mtime: 1_700_000_000 + Int64(i))
            }
            let unsigned = try h.request("GET", "pub", "", query: "list")
            #expect(unsigned.status == 401)  // listing needs a token even on a public-read bucket
            let first = try h.request("GET", "pub", "", query: "list&prefix=a/&limit=1", signed: true)
            #expect(first.status == 200)
            #expect(first.header("Content-Type") == "application/json")
            let sha1 = ContentName.sha1Hex(Self.data)
            #expect(first.text == "{\"files\":[{\"name\":\"a/1.png\",\"size\":3000,\"sha1\":\"\(sha1)\",\"mime\":\"image/png\",\"mtime\":1700000000000000000}],\"next\":\"a/1.png\"}")
            let second = try h.request("GET", "pub", "", query: "list&prefix=a/&after=a/1.png", signed: true)
            #expect((second.json["files"] as? [[String: Any]])?.map { $0["name"] as? String } == ["a/2.png"])
            #expect(second.json["next"] is NSNull)
            let all = try h.request("GET", "pub", "", query: "list&limit=5000", signed: true)
            #expect((all.json["files"] as? [[String: Any]])?.count == 3)
            #expect(h.directory.calls.get.last?.contains("limit=1000") == true)
            #expect(try h.request("GET", "pub", "", query: "list&limit=x", signed: true).status == 400)
            #expect(try h.request("GET", "pub", "").status == 400)  // no filename, no list
        }
    }

    @Test func pingDrainsByFileAndOnShutdown() throws {
        let temp = TempDir("proxy-ping")
        defer { temp.remove() }
        let file = temp.file("drain")
        try ProxyHarness.with(configure: { $0.drainFile = file }) { h in
            let up = try h.endpoint.get("/ping")
            #expect(up.status == 200 && up.text == "{\"code\":0}")
            // The file is checked off the loops, every 250 ms.
            FileManager.default.createFile(atPath: file, contents: nil)
            #expect(try waitUntil { (try? h.endpoint.get("/ping").status) == 503 })
            #expect(try h.endpoint.get("/ping").text == "{\"code\":503}")
            try FileManager.default.removeItem(atPath: file)
            #expect(try waitUntil { (try? h.endpoint.get("/ping").status) == 200 })
            h.proxy.beginDraining()
            #expect(try h.endpoint.get("/ping").status == 503)
            // Requests are still served while draining.
            h.seed("pub", "cat.png", Self.data, key: 5)
            #expect(try h.request("GET", "pub", "cat.png").status == 200)
        }
    }

    @Test func pathProblemsAndMethods() throws {
        try ProxyHarness.with { h in
            #expect(try h.endpoint.get("/bfs//x.png").status == 400)
            #expect(try h.endpoint.get("/bfs/pub/%zz").status == 400)
            #expect(try h.endpoint.get("/bfs/pub/" + String(repeating: "x", count: 101)).status == 413)
            #expect(try h.endpoint.get("/bfs/nope/x.png").status == 404)
            #expect(try h.endpoint.get("/bfs/pub/missing.png").status == 404)
            let post = try h.endpoint.request("POST", "/bfs/pub/x.png")
            #expect(post.status == 405)
            #expect(post.header("Allow") == "DELETE, GET, HEAD, PUT")
            #expect(try h.endpoint.get("/elsewhere").status == 404)
        }
    }

    @Test func metricsCountRequestsByMethodAndClass() throws {
        try ProxyHarness.with { h in
            h.seed("pub", "cat.png", Self.data, key: 5)
            _ = try h.request("GET", "pub", "cat.png")
            _ = try h.request("HEAD", "pub", "nope.png")
            let text = try h.endpoint.get("/metrics").text
            #expect(text.contains("bfs_proxy_responses_total{method=\"GET\",class=\"2xx\"} 1"))
            #expect(text.contains("bfs_proxy_responses_total{method=\"HEAD\",class=\"4xx\"} 1"))
            #expect(text.contains("bfs_proxy_request_duration_seconds_count{method=\"GET\"} 1"))
            #expect(text.contains("bfs_proxy_metadata_cache_misses_total 2"))
        }
    }
}
