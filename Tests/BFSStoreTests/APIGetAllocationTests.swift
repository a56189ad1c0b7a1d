import BFSCore
import CMallocCounter
import Testing
@testable import BFSStore

/// Heap allocations per `/get` and per `/upload`, counted on the server's loop thread while real requests go through
/// the real HTTP server and store (the counter is `CMallocCounter`; the client's allocations are
/// on the test thread and not counted). The counts do not depend on timing or load: the only
/// noise is the loop's once-a-second work (the `Date` line), a few allocations per run. A budget
/// is the count reached (Bench/store/README.md) plus half an allocation per request, so one
/// more allocation per request fails the test.
@Suite(.serialized) struct APIGetAllocationTests {
    /// Requests counted per case.
    static let requests = 2000

    @Test func smallVerifiedReadStaysWithinBudget() throws {
        let perRequest = try allocationsPerGet(size: 4096)
        print("allocations per 4 KiB GET: \(perRequest)")
        #expect(perRequest <= Self.smallBudget)
    }

    @Test func sendfileReadStaysWithinBudget() throws {
        let perRequest = try allocationsPerGet(size: 64 * 1024)
        print("allocations per 64 KiB GET: \(perRequest)")
        #expect(perRequest <= Self.largeBudget)
    }

    @Test func uploadStaysWithinBudget() throws {
        let perRequest = try allocationsPerUpload(size: 4096)
        print("allocations per 4 KiB upload: \(perRequest)")
        #expect(perRequest <= Self.uploadBudget)
    }

    /// Budget for a durable one-file `/upload` (the loop's share: parsing, encoding, answering).
    static let uploadBudget = 28.5
    /// Budget for a needle read whole and CRC-checked (up to `verifiedReadMaxSize`).
    static let smallBudget = 7.5
    /// Budget for a needle sent with `sendfile`.
    static let largeBudget = 8.5

    /// Stores 16 needles of `size` bytes, warms the path (connection buffers, per-volume state),
    /// then counts the loop thread's allocations over `requests` keep-alive GETs.
    private func allocationsPerGet(size: Int) throws -> Double {
        try withStoreHarness { h in
            let c = try h.client()
            let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            for key in 1...16 {
                #expect(try c.upload(vid: 1, key: Int64(key), cookie: 3, data: data).status == 200)
            }
            for i in 0..<200 {
                let r = try c.get(vid: 1, key: Int64(1 + i % 16), cookie: 3)
                try #require(r.status == 200 && r.body == data)
            }
            let loop = h.group.loops[0]
            try loop.submitAndWait { bfs_malloc_counter_track_current_thread(true) }
            bfs_malloc_counter_start()
            for i in 0..<Self.requests {
                let r = try c.get(vid: 1, key: Int64(1 + i % 16), cookie: 3)
                if r.status != 200 || r.body.count != size { Issue.record("GET \(i): \(r.status)"); break }
            }
            // A round trip through the loop: the last answer's tail work is done and counted.
            try loop.submitAndWait { bfs_malloc_counter_track_current_thread(false) }
            let count = bfs_malloc_counter_stop()
            return Double(count) / Double(Self.requests)
        }
    }

    /// Warms the upload path with 200 uploads, then counts the loop thread's allocations over
    /// `requests` keep-alive uploads of `size` bytes, each a new key.
    private func allocationsPerUpload(size: Int) throws -> Double {
        try withStoreHarness { h in
            let c = try h.client()
            let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            for key in 1...200 {
                try #require(try c.upload(vid: 1, key: Int64(key), cookie: 3, data: data).status == 200)
            }
            let loop = h.group.loops[0]
            try loop.submitAndWait { bfs_malloc_counter_track_current_thread(true) }
            bfs_malloc_counter_start()
            for i in 0..<Self.requests {
                let r = try c.upload(vid: 1, key: Int64(1000 + i), cookie: 3, data: data)
                if r.status != 200 || r.body != Array(#"{"ret":1}"#.utf8) { Issue.record("upload \(i): \(r.status)"); break }
            }
            try loop.submitAndWait { bfs_malloc_counter_track_current_thread(false) }
            let count = bfs_malloc_counter_stop()
            #expect(try c.get(vid: 1, key: Int64(1000 + Self.requests - 1), cookie: 3).body == data)
            return Double(count) / Double(Self.requests)
        }
    }
}
