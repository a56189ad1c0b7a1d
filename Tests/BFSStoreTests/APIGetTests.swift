import BFSCore
import Glibc
import Testing
@testable import BFSStore

/// `/get` over a real socket against an in-process store.
@Suite struct APIGetTests {
    @Test func uploadThenGetIsByteIdenticalAcrossSizes() throws {
        var random = SeededRandom(label: "get sizes")
        try withStoreHarness { h in
            let c = try h.client()
            // Empty, tiny, around the verified-read threshold, and well past it (sendfile).
            let sizes = [0, 1, 3, 1000, APIGetHandler.verifiedReadMaxSize - 29, APIGetHandler.verifiedReadMaxSize, 300_000, 2 << 20]
            for (i, size) in sizes.enumerated() {
                let data = random.bytes(size)
                let key = Int64(100 + i)
                let up = try c.upload(vid: 1, key: key, cookie: 77, data: data)
                #expect(up.status == 200)
                #expect(up.text == "{\"ret\":1}")
                #expect(up.header("Content-Type") == "application/json;charset=utf-8")
                let r = try c.get(vid: 1, key: key, cookie: 77)
                #expect(r.status == 200, "size \(size)")
                #expect(r.header("Content-Length") == String(size))
                #expect(r.header("Content-Type") == "application/octet-stream")
                #expect(r.header("Accept-Ranges") == "bytes")
                #expect(r.body == data, "size \(size)")
            }
        }
    }

    @Test func headAnswersHeadersOnly() throws {
        try withStoreHarness { h in
            let c = try h.client()
            _ = try c.upload(vid: 1, key: 5, cookie: 6, data: Array(repeating: 0x41, count: 5000))
            let r = try c.get(vid: 1, key: 5, cookie: 6, method: "HEAD")
            #expect(r.status == 200)
            #expect(r.header("Content-Length") == "5000")
            // The connection carries on with the next request: no body bytes were sent.
            let again = try c.get(vid: 1, key: 5, cookie: 6)
            #expect(again.body.count == 5000)
        }
    }

    @Test func rangesAnswer206And416() throws {
        var random = SeededRandom(label: "ranges")
        try withStoreHarness { h in
            let c = try h.client()
            for (key, size) in [(Int64(1), 1000), (Int64(2), 200_000)] {
                let data = random.bytes(size)
                _ = try c.upload(vid: 1, key: key, cookie: 1, data: data)
                let mid = try c.get(vid: 1, key: key, cookie: 1, headers: [("Range", "bytes=10-19")])
                #expect(mid.status == 206)
                #expect(mid.header("Content-Range") == "bytes 10-19/\(size)")
                #expect(mid.body == Array(data[10..<20]))
                let open = try c.get(vid: 1, key: key, cookie: 1, headers: [("Range", "bytes=\(size - 5)-")])
                #expect(open.status == 206)
                #expect(open.body == Array(data[(size - 5)...]))
                let suffix = try c.get(vid: 1, key: key, cookie: 1, headers: [("Range", "bytes=-7")])
                #expect(suffix.status == 206)
                #expect(suffix.header("Content-Range") == "bytes \(size - 7)-\(size - 1)/\(size)")
                #expect(suffix.body == Array(data[(size - 7)...]))
                let bad = try c.get(vid: 1, key: key, cookie: 1, headers: [("Range", "bytes=\(size)-")])
                #expect(bad.status == 416)
                #expect(bad.header("Content-Range") == "bytes */\(size)")
                let several = try c.get(vid: 1, key: key, cookie: 1, headers: [("Range", "bytes=0-1,5-6")])
                #expect(several.status == 200)
                #expect(several.body == data)
            }
        }
    }

    @Test func errorsMatchBfs() throws {
        try withStoreHarness { h in
            let c = try h.client()
            _ = try c.upload(vid: 1, key: 9, cookie: 10, data: [1, 2, 3])
            let missing = try c.get(vid: 1, key: 8, cookie: 10)
            #expect(missing.status == 404)
            #expect(missing.text == "needle not exist\n")
            #expect(missing.header("Content-Type") == "text/plain; charset=utf-8")
            #expect(try c.get(vid: 2, key: 9, cookie: 10).status == 404)
            #expect(try c.request("GET", "/get?vid=1&key=x&cookie=10").status == 400)
            #expect(try c.request("GET", "/get?vid=1&key=9").status == 400)
            #expect(try c.request("GET", "/get?vid=99999999999&key=9&cookie=10").status == 400)
            #expect(try c.request("POST", "/get?vid=1&key=9&cookie=10").status == 405)
            #expect(try c.request("GET", "/upload").status == 405)
        }
    }

    /// A wrong cookie must not tell a guesser that the key exists (DESIGN.md §11): the answer is
    /// byte for byte the one for a missing key, for GET and HEAD, small and large needles.
    @Test func wrongCookieAnswersLikeAMissingKey() throws {
        try withStoreHarness { h in
            let c = try h.client()
            _ = try c.upload(vid: 1, key: 9, cookie: 10, data: [1, 2, 3])
            _ = try c.upload(vid: 1, key: 19, cookie: 10, data: Array(repeating: 7, count: 64 * 1024))
            for method in ["GET", "HEAD"] {
                let missing = try c.get(vid: 1, key: 8, cookie: 10, method: method)
                for key: Int64 in [9, 19] {
                    let wrong = try c.get(vid: 1, key: key, cookie: 11, method: method)
                    #expect(wrong.status == 404, "\(method) key \(key)")
                    #expect(wrong.body == missing.body, "\(method) key \(key)")
                    #expect(wrong.header("Content-Type") == missing.header("Content-Type"))
                }
            }
        }
    }

    @Test func rateLimitedGetAnswers503WithEmptyBody() throws {
        var settings = StoreSettings()
        settings.readRate = 0.001
        settings.readBurst = 1
        try withStoreHarness(settings: settings) { h in
            let c = try h.client()
            _ = try c.upload(vid: 1, key: 1, cookie: 1, data: [9])
            #expect(try c.get(vid: 1, key: 1, cookie: 1).status == 200)
            let limited = try c.get(vid: 1, key: 1, cookie: 1)
            #expect(limited.status == 503)
            #expect(limited.body.isEmpty)
        }
    }

    @Test func statsAndMetricsCountReads() throws {
        try withStoreHarness { h in
            let c = try h.client()
            _ = try c.upload(vid: 1, key: 1, cookie: 1, data: Array(repeating: 7, count: 1234))
            _ = try c.get(vid: 1, key: 1, cookie: 1)
            let s = h.context.stats(of: 1).snapshot(previous: nil, seconds: 0)
            #expect(s.totalGetProcessed == 1)
            #expect(s.totalReadBytes == 1234)
            #expect(s.totalWriteProcessed == 1)
            #expect(s.totalWriteBytes == 1234)
            let text = String(decoding: h.context.metrics.render(), as: UTF8.self)
            #expect(text.contains("bfs_store_read_bytes_total 1234"))
            #expect(text.contains("bfs_store_written_bytes_total 1234"))
        }
    }

    /// Needles whose pages were dropped from the page cache are read on a worker and counted:
    /// the header probe already misses, for the small needle as for the large one.
    @Test(.enabled(if: APIPageCache.isAvailable)) func coldReadIsServedOffLoopAndCounted() throws {
        var random = SeededRandom(label: "cold")
        try withStoreHarness { h in
            let c = try h.client()
            let small = random.bytes(4000), large = random.bytes(3_000_000)
            _ = try c.upload(vid: 1, key: 1, cookie: 1, data: small)
            _ = try c.upload(vid: 1, key: 2, cookie: 1, data: large)
            // The block file's pages are clean (synced), so DONTNEED evicts them.
            let fd = open(h.context.volumes.volume(1)!.blockPath, O_RDONLY)
            #expect(fd >= 0)
            #expect(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0)
            close(fd)
            // Evict again before each read: the first read brings pages back.
            let r1 = try c.get(vid: 1, key: 2, cookie: 1)
            #expect(r1.body == large)
            let fd2 = open(h.context.volumes.volume(1)!.blockPath, O_RDONLY)
            #expect(posix_fadvise(fd2, 0, 0, POSIX_FADV_DONTNEED) == 0)
            close(fd2)
            let r2 = try c.get(vid: 1, key: 1, cookie: 1)
            #expect(r2.body == small)
            let cold = coldReadCount(h.context)
            #expect(cold >= 2, "\(cold) cold reads counted for two cold needles")
        }
    }
}

/// `bfs_store_cold_reads_total` as `/metrics` shows it.
func coldReadCount(_ context: StoreContext) -> Int {
    let text = String(decoding: context.metrics.render(), as: UTF8.self)
    let line = text.split(separator: "\n").first { $0.hasPrefix("bfs_store_cold_reads_total ") }
    return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
}
