import BFSHTTP
@testable import BFSProxy
import BFSTestSupport
import Foundation
import Testing

/// A precondition and the write it guards are one step in the directory: another writer that
/// commits the same name after our precondition lookup and before our commit or delete makes
/// ours answer 412 and leaves the other writer's file (RFC 9110 §13.1.1, no lost update).
@Suite(.serialized) struct ConditionalWriteRaceTests {
    static let old: [UInt8] = Array("the old bytes".utf8)
    static let ours: [UInt8] = Array("our conditional bytes".utf8)
    static let theirs: [UInt8] = Array("the other writer's bytes".utf8)
    static let png = [("Content-Type", "image/png")]

    /// Sends `method` with `headers` from another thread while the directory holds its
    /// precondition lookup, lets a plain PUT of `theirs` commit meanwhile, then releases the
    /// lookup; returns our answer's status.
    private func raceAnotherWriter(_ h: ProxyHarness, _ method: String, headers: [(String, String)], body: [UInt8]) throws -> Int {
        h.directory.holdLookups.with { $0 = true }
        let status = Locked<Int?>(nil)
        let ours = Thread {
            let answer = try? h.request(method, "pub", "x.png", headers: headers, body: body, signed: true)
            status.with { $0 = answer.map { Int($0.status) } ?? -1 }
        }
        ours.start()
        #expect(try waitUntil { h.directory.count("/get") == 1 })
        // A plain PUT looks nothing up: it commits while our lookup is held.
        let other = try h.request("PUT", "pub", "x.png", headers: Self.png, body: Self.theirs, signed: true)
        #expect(other.status == 200 || other.status == 201)
        h.directory.holdLookups.with { $0 = false }
        h.directory.releaseLookups()
        #expect(try waitUntil { status.get != nil })
        return status.get ?? -1
    }

    @Test func putIfMatchLosesToAWriterCommittingAfterTheCheck() throws {
        try ProxyHarness.with { h throws in
            let sha1 = h.seed("pub", "x.png", Self.old, key: 5)
            let status = try raceAnotherWriter(h, "PUT", headers: Self.png + [("If-Match", "\"\(sha1)\"")], body: Self.ours)
            #expect(status == 412)
            #expect(try h.request("GET", "pub", "x.png").body == Self.theirs)
            // Our commit carried the version the check saw, was refused, and its needle was
            // aborted and deleted from the replicas it had been written to.
            let commits = h.directory.calls.get.filter { $0.hasPrefix("/commit?") }
            #expect(commits.count == 2 && commits.last?.contains("expect_key=5") == true)
            let ourKey = try #require(h.directory.aborted.get.last)
            #expect(h.directory.files.get["pub/x.png"]?.key != ourKey)
            #expect(try waitUntil { h.stores[0].deletes.get.contains(ourKey) && h.stores[1].deletes.get.contains(ourKey) })
            #expect(try waitUntil { h.proxy.context?.budget.inUse == 0 })
        }
    }

    @Test func putIfNoneMatchStarLosesToACreatorCommittingAfterTheCheck() throws {
        try ProxyHarness.with { h throws in
            let status = try raceAnotherWriter(h, "PUT", headers: Self.png + [("If-None-Match", "*")], body: Self.ours)
            #expect(status == 412)
            #expect(try h.request("GET", "pub", "x.png").body == Self.theirs)
            #expect(h.directory.calls.get.last { $0.hasPrefix("/commit?") }?.contains("expect_absent=1") == true)
        }
    }

    @Test func deleteIfMatchLosesToAWriterCommittingAfterTheCheck() throws {
        try ProxyHarness.with { h throws in
            let sha1 = h.seed("pub", "x.png", Self.old, key: 5)
            let status = try raceAnotherWriter(h, "DELETE", headers: [("If-Match", "\"\(sha1)\"")], body: [])
            #expect(status == 412)
            #expect(try h.request("GET", "pub", "x.png").body == Self.theirs)
            #expect(h.directory.calls.get.last { $0.hasPrefix("/del?") }?.contains("expect_key=5") == true)
        }
    }

    @Test func writesWithoutPreconditionsSendNoExpectation() throws {
        try ProxyHarness.with { h throws in
            h.seed("pub", "x.png", Self.old, key: 5)
            #expect(try h.request("PUT", "pub", "x.png", headers: Self.png, body: Self.ours, signed: true).status == 200)
            #expect(try h.request("DELETE", "pub", "x.png", signed: true).status == 204)
            #expect(!h.directory.calls.get.contains { $0.contains("expect_") })
        }
    }
}
