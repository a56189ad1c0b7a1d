import BFSHTTP
@testable import BFSProxy
import BFSTestSupport
import Foundation
import Testing

/// GET/HEAD against hostile or odd inputs: control bytes in names, MIME types from metadata that
/// are no valid field value, stores without Range, rows of unknown length, clients that stop
/// reading.
@Suite(.serialized) struct ReadHardeningTests {
    static let data: [UInt8] = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7) }

    @Test func rangesAreServedFromStoresThatIgnoreRange() throws {
        try ProxyHarness.with { h in
            let big: [UInt8] = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 131 >> 3) }
            h.seed("pub", "big.bin", big, key: 8)
            for store in h.stores { store.ignoreRange.with { $0 = true } }
            let single = try h.request("GET", "pub", "big.bin", headers: [("Range", "bytes=1000-400999")])
            #expect(single.status == 206 && single.body == Array(big[1000...400_999]))
            let tail = try h.request("GET", "pub", "big.bin", headers: [("Range", "bytes=-10")])
            #expect(tail.status == 206 && tail.body == Array(big[(big.count - 10)...]))
            let multi = try h.request("GET", "pub", "big.bin", headers: [("Range", "bytes=0-9,5000-5009")])
            #expect(multi.status == 206)
            #expect(multi.text.contains("Content-Range: bytes 5000-5009/\(big.count)"))
            #expect(multi.body.count == Int(multi.header("Content-Length") ?? "") ?? -1)
            // A replica dying mid-body resumes on one that ignores Range, at the same byte.
            h.stores[0].cutReads.with { $0 = .half }
            h.stores[1].cutReads.with { $0 = .none }
            var reads = 0
            while try h.metric("bfs_proxy_replica_failovers_total") == 0 && reads < 60 {  // reads start at a random replica
                let get = try h.request("GET", "pub", "big.bin")
                #expect(get.status == 200 && get.body == big)
                reads += 1
            }
            #expect(try h.metric("bfs_proxy_replica_failovers_total") >= 1)
        }
    }

    @Test func revalidatingARowOfUnknownLengthAsksNoStore() throws {
        try ProxyHarness.with { h in
            let sha1 = h.seed("pub", "old.png", Self.data, key: 9, size: 0)
            let cases: [([(String, String)], Int)] = [
                ([("If-None-Match", "\"\(sha1)\"")], 304),
                ([("If-Modified-Since", "Tue, 14 Nov 2023 22:13:20 GMT")], 304),
                ([("If-Match", "\"other\"")], 412),
                ([("If-None-Match", "W/\"\(sha1)\""), ("Range", "bytes=0-9")], 304),
            ]
            for (headers, status) in cases {
                let answer = try h.request("GET", "pub", "old.png", headers: headers)
                #expect(answer.status == status, "\(headers)")
                if status == 304 { #expect(answer.header("ETag") == "\"\(sha1)\"") }
            }
            #expect(h.storeReads == 0)
            // A request the validators do not settle still learns the length from a store.
            let get = try h.request("GET", "pub", "old.png", headers: [("If-None-Match", "\"other\"")])
            #expect(get.status == 200 && get.body == Self.data)
        }
    }

    @Test func aClientThatStopsReadingStopsTheStoreRead() throws {
        try ProxyHarness.with { h in
            let big = [UInt8](repeating: 7, count: 48 << 20)
            h.seed("pub", "big.bin", big, key: 12)
            let client = try TestHTTPClient(port: h.endpoint.port, receiveBuffer: 16 * 1024)
            try client.send("GET /bfs/pub/big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(try client.readHead().contains("200 OK"))
            // The client reads nothing more. The relay may fill the socket buffers (a few MiB at
            // most) and its own queue, then must stop reading the store.
            var read = try h.metric("bfs_proxy_store_read_bytes_total"), stable = 0
            while stable < 5 {
                usleep(200_000)
                let now = try h.metric("bfs_proxy_store_read_bytes_total")
                stable = now == read ? stable + 1 : 0
                read = now
            }
            #expect(read > 0 && read < Double(16 << 20), "read \(read) bytes of \(big.count) for a client that reads none")
            // Reading on resumes the store read, to the last byte.
            let body = try client.read(count: big.count)
            #expect(body.count == big.count && body.allSatisfy { $0 == 7 })
        }
    }

    @Test func controlBytesInThePathAre400BeforeAnyBackendCall() throws {
        try ProxyHarness.with { h in
            for target in ["/bfs/pub/a%00b.png", "/bfs/pub/a%0D%0ASet-Cookie:%20x=1", "/bfs/pu%0Ab/x.png", "/bfs/pub/%7F"] {
                let get = try h.endpoint.get(target)
                #expect(get.status == 400, "\(target)")
                #expect(get.text.contains("control"), "\(target)")
                #expect(get.header("Set-Cookie") == nil)
                let put = try h.endpoint.request("PUT", target, headers: [("Content-Type", "image/png")], body: [1, 2, 3])
                #expect(put.status == 400, "\(target)")
            }
            // Nothing reached the directory: not even the bucket lookup.
            #expect(h.directory.calls.get.isEmpty)
        }
    }

    @Test func aStoredMimeTypeThatIsNoValidFieldValueIsNeverSent() throws {
        try ProxyHarness.with { h in
            // Rows written through the directory's internal API may hold any MIME text.
            h.seed("pub", "x.png", Self.data, key: 5, mime: "image/png\r\nX-Injected: yes")
            for headers in [[], [("Range", "bytes=0-9")], [("Range", "bytes=0-9,1000-1009")]] as [[(String, String)]] {
                let get = try h.request("GET", "pub", "x.png", headers: headers)
                #expect(get.status == (headers.isEmpty ? 200 : 206))
                #expect(get.header("X-Injected") == nil)
                #expect(get.header("Content-Type")?.contains("image/png") != true)
                #expect(!get.text.contains("X-Injected"))
            }
            let head = try h.request("HEAD", "pub", "x.png")
            #expect(head.status == 200 && head.header("X-Injected") == nil)
            // A clean type is still sent as stored.
            h.seed("pub", "y.png", Self.data, key: 6, mime: "image/svg+xml; charset=utf-8")
            #expect(try h.request("GET", "pub", "y.png").header("Content-Type") == "image/svg+xml; charset=utf-8")
        }
    }
}
