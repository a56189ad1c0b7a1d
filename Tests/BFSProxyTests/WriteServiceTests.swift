import BFSHTTP
@testable import BFSProxy
import BFSTestSupport
import Foundation
import Testing

/// PUT through a real proxy: parallel replica writes, retry on another group after a replica
/// failure with cleanup, limits, naming, and the answer's headers.
@Suite(.serialized) struct WriteServiceTests {
    static let data: [UInt8] = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    static let sha1 = ContentName.sha1Hex(data)

    @Test func putWritesEveryReplicaThenCommits() throws {
        try ProxyHarness.with { h in
            let put = try h.request("PUT", "pub", "a/cat.jpg", headers: [("Content-Type", "image/jpeg")], body: Self.data, signed: true)
            #expect(put.status == 201)
            #expect(put.header("Code") == "201")
            #expect(put.header("ETag") == "\"\(Self.sha1)\"")
            #expect(put.header("Location") == "https://img.example.com/bfs/pub/a/cat.jpg")
            #expect(!put.text.isEmpty)
            let file = try #require(h.directory.files.get["pub/a/cat.jpg"])
            #expect(file.vid == 1 && file.sha1 == Self.sha1 && file.size == 5000 && file.mime == "image/jpeg")
            // Both replicas of volume 1 hold the needle, byte for byte; the other group saw nothing.
            #expect(h.stores[0].needles.get[file.key] == Self.data)
            #expect(h.stores[1].needles.get[file.key] == Self.data)
            #expect(h.stores[2].uploads.get.isEmpty && h.stores[3].uploads.get.isEmpty)
            // Commit came after the allocation, once.
            let paths = h.directory.calls.get.map { $0.prefix { $0 != "?" } }
            #expect(paths.filter { $0 != "/bucket" } == ["/allocate", "/commit"])

            let again = try h.request("PUT", "pub", "a/cat.jpg", headers: [("Content-Type", "image/jpeg")], body: [1, 2, 3], signed: true)
            #expect(again.status == 200)
            #expect(again.header("Code") == "200")
            let get = try h.request("GET", "pub", "a/cat.jpg")
            #expect(get.body == [1, 2, 3])
        }
    }

    @Test func aFailedReplicaIsCleanedUpAndTheUploadRetriedOnAnotherGroup() throws {
        try ProxyHarness.with { h in
            h.stores[1].failUploads.with { $0 = true }
            let put = try h.request("PUT", "pub", "cat.jpg", headers: [("Content-Type", "image/jpeg")], body: Self.data, signed: true)
            #expect(put.status == 201)
            let file = try #require(h.directory.files.get["pub/cat.jpg"])
            #expect(file.vid == 2)
            #expect(h.stores[2].needles.get[file.key] == Self.data && h.stores[3].needles.get[file.key] == Self.data)
            // The first allocation was aborted, its acknowledged replica deleted at once.
            let firstKey = try #require(h.stores[1].uploads.get.first)
            #expect(firstKey != file.key)
            #expect(h.directory.aborted.get == [firstKey])
            #expect(try waitUntil { h.stores[0].deletes.get == [firstKey] })
            #expect(h.stores[0].needles.get[firstKey] == nil)
            // The retry asked the directory to avoid the failed volume's group.
            let allocations = h.directory.calls.get.filter { $0.hasPrefix("/allocate?") }
            #expect(allocations.count == 2)
            #expect(!allocations[0].contains("exclude_vid") && allocations[1].contains("exclude_vid=1"))
            #expect(h.directory.count("/commit") == 1)
        }
    }

    @Test func twoFailedAttemptsAnswer5xxAndCommitNothing() throws {
        try ProxyHarness.with { h in
            h.stores[1].failUploads.with { $0 = true }
            h.stores[3].failUploads.with { $0 = true }
            let put = try h.request("PUT", "pub", "cat.jpg", headers: [("Content-Type", "image/jpeg")], body: Self.data, signed: true)
            #expect(put.status == 502)
            #expect(put.text.contains("replica write failed"))
            #expect(put.header("Code") == "65535")
            #expect(h.directory.files.get["pub/cat.jpg"] == nil)
            #expect(h.directory.count("/commit") == 0)
            #expect(h.directory.aborted.get.count == 2)
            #expect(try waitUntil { h.stores[0].deletes.get.count == 1 && h.stores[2].deletes.get.count == 1 })
        }
    }

    @Test func noWritableGroupIs503() throws {
        try ProxyHarness.with { h in
            h.directory.volumes.with { $0 = [:] }
            let put = try h.request("PUT", "pub", "cat.jpg", headers: [("Content-Type", "image/jpeg")], body: Self.data, signed: true)
            #expect(put.status == 503)
            #expect(put.header("Code") == "30300")
        }
    }

    @Test func limitsAndValidation() throws {
        try ProxyHarness.with(configure: { $0.maxFileSize = 4000 }) { h in
            let type = [("Content-Type", "image/jpeg")]
            // Declared too big: refused before reading, nothing allocated.
            let declared = try h.request("PUT", "pub", "big.jpg", headers: type, body: Self.data, signed: true)
            #expect(declared.status == 413)
            #expect(declared.header("Code") == "413")
            #expect(!declared.text.isEmpty)
            // Chunked, so only the streamed count can tell.
            let streamed = try h.request("PUT", "pub", "big.jpg", headers: type, body: Self.data, signed: true, chunked: true)
            #expect(streamed.status == 413)
            #expect(h.directory.count("/allocate") == 0)
            // A chunked body within the limit is fine.
            let small = try h.request("PUT", "pub", "small.jpg", headers: type, body: Array(Self.data[..<3000]), signed: true, chunked: true)
            #expect(small.status == 201)
            #expect(h.directory.files.get["pub/small.jpg"]?.size == 3000)

            let untyped = try h.request("PUT", "pub", "x.jpg", body: [1], signed: true)
            #expect(untyped.status == 400)
            #expect(untyped.text.contains("Content-Type"))
            let empty = try h.request("PUT", "pub", "x.jpg", headers: type, signed: true)
            #expect(empty.status == 400)
            #expect(empty.text.contains("empty"))
            let long = String(repeating: "n", count: 101)
            #expect(try h.request("PUT", "pub", long, headers: type, body: [1], signed: true).status == 413)
            #expect(h.directory.count("/allocate") == 1)
        }
    }

    @Test func contentAddressedNames() throws {
        try ProxyHarness.with { h in
            let root = try h.request("PUT", "pub", "", headers: [("Content-Type", "image/jpeg")], body: Self.data, signed: true)
            #expect(root.status == 201)
            #expect(root.header("Location") == "https://img.example.com/bfs/pub/\(Self.sha1).jpg")
            #expect(h.directory.files.get["pub/\(Self.sha1).jpg"] != nil)
            let dir = try h.request("PUT", "pub", "avatars/", headers: [("Content-Type", "image/png")], body: Self.data, signed: true)
            #expect(dir.status == 201)
            #expect(dir.header("Location") == "https://img.example.com/bfs/pub/avatars/\(Self.sha1).png")
            let get = try h.request("GET", "pub", "avatars/\(Self.sha1).png")
            #expect(get.body == Self.data)
        }
    }

    @Test func locationUsesTheBucketDomainOrTheHost() throws {
        try ProxyHarness.with(configure: { $0.domain = "" }) { h in
            let byHost = try h.request("PUT", "pub", "x y.jpg".replacingOccurrences(of: " ", with: "%20"),
                                       headers: [("Content-Type", "image/jpeg")], body: [1], signed: false)
            #expect(byHost.status == 401)  // the signature covers the decoded name
            let token = h.token("PUT", "pub", "x y.jpg")
            let put = try h.request("PUT", "pub", "x%20y.jpg", headers: [("Content-Type", "image/jpeg"), ("Authorization", token)], body: [1])
            #expect(put.status == 201)
            #expect(put.header("Location") == "http://127.0.0.1/bfs/pub/x%20y.jpg")
        }
        try ProxyHarness.with(configure: { $0.domain = "" }) { h in
            h.directory.buckets.with { $0["pub"]?.domain = "https://cdn.example.net/" }
            let put = try h.request("PUT", "pub", "y.jpg", headers: [("Content-Type", "image/jpeg")], body: [1], signed: true)
            #expect(put.header("Location") == "https://cdn.example.net/bfs/pub/y.jpg")
        }
    }

    @Test func anExhaustedUploadBudgetIs503WithRetryAfter() throws {
        // Code-built settings may set the budget below one file (a config file may not).
        try ProxyHarness.with(configure: { $0.maxFileSize = 10_000; $0.uploadBudget = 3000 }) { h in
            let type = [("Content-Type", "image/jpeg")]
            for chunked in [false, true] {
                let put = try h.request("PUT", "pub", "x.jpg", headers: type, body: Self.data, signed: true, chunked: chunked)
                #expect(put.status == 503, "chunked \(chunked)")
                #expect(put.header("Retry-After") == "1")
                #expect(put.text.contains("too many uploads"))
            }
            #expect(h.directory.count("/allocate") == 0)
            // The budget was given back: a body that fits goes through.
            #expect(try h.request("PUT", "pub", "x.jpg", headers: type, body: Array(Self.data[..<2000]), signed: true).status == 201)
        }
    }

    @Test func anUnreachableDirectoryIs502WithABody() throws {
        try ProxyHarness.with { h in
            h.directory.stop()
            let put = try h.request("PUT", "pub", "x.jpg", headers: [("Content-Type", "image/jpeg")], body: [1], signed: true)
            #expect(put.status == 502)
            #expect(put.text.contains("directory"))
            #expect(try h.request("GET", "pub", "x.jpg").status == 502)
        }
    }

    /// Feeds one piece; the refusal, if any.
    private func feed(_ body: UploadBody, _ piece: [UInt8], maxSize: Int) -> ProxyError? {
        piece.withUnsafeBytes { pointer -> ProxyError? in
            do { try body.append(pointer, maxSize: maxSize) } catch { return error as? ProxyError }
            return nil
        }
    }

    @Test func uploadBudgetBoundsMemory() {
        let budget = UploadBudget(limit: 1000)
        let first = UploadBody(budget: budget)
        #expect(first.reserve(800))
        let second = UploadBody(budget: budget)
        #expect(!second.reserve(300))
        #expect(budget.inUse == 800)
        let piece: [UInt8] = Array(repeating: 1, count: 300)
        #expect(feed(second, piece, maxSize: 10_000) == .uploadBudgetExhausted)
        #expect(feed(second, piece, maxSize: 100) == .bodyTooLarge(limit: 100))
        first.release()
        #expect(budget.inUse == 0)
        #expect(feed(second, piece, maxSize: 10_000) == nil)
        #expect(feed(second, piece, maxSize: 10_000) == nil)
        #expect(second.size == 600 && second.chunks.count == 2 && budget.inUse == 600)
        #expect(second.sha1() == ContentName.sha1Hex(piece + piece))
        second.release()
        #expect(budget.inUse == 0)
    }
}
