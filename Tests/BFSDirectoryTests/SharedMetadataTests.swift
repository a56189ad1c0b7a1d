import BFSCore
@testable import BFSDirectory
import BFSLoop
import BFSMetadata
import BFSTestSupport
import Foundation
import Testing

/// Two directories on one database, as the metadata tier scales (DESIGN.md §5): uniqueness comes
/// from the database, so racing uploads of one filename leave one winner and no orphan needle.
@Suite struct SharedMetadataTests {
    enum Backend: String, CaseIterable, Sendable { case sqlite, postgres }

    @Test(arguments: Backend.allCases)
    func concurrentUploadsOfOneFilenameLeaveOneWinnerAndNoOrphan(_ backend: Backend) async throws {
        let temp = TempDir("shared")
        defer { temp.remove() }
        var server: PostgresServer?
        let open: () throws -> SQLMetadataStore
        switch backend {
        case .sqlite:
            open = { try SQLMetadataStore.sqlite(path: temp.file("metadata.db")) }
        case .postgres:
            let pg = try await PostgresServer.start()
            server = pg
            let conninfo = pg.conninfo(database: try await pg.createDatabase())
            open = { try SQLMetadataStore.postgres(conninfo: conninfo) }
        }
        defer { server?.stop() }
        let first = try open(), second = try open()
        _ = try await first.createBucket(NewBucket(name: "b"))
        let group = try EventLoopGroup(loopCount: 1, name: "shared-test")
        defer { group.shutdown() }
        let a = try DirectoryHarness(metadata: first, worker: 1, group: group)
        let b = try DirectoryHarness(metadata: second, worker: 2, group: group, stores: a.stores)
        defer { a.stop(); b.server.stop() }

        let rounds = 10
        let keys = Locked<[NeedleKey]>([])
        for _ in 0..<rounds {
            DispatchQueue.concurrentPerform(iterations: 2) { i in
                guard let upload = try? [a, b][i].upload("same.png") else { return }
                if upload.commit?.ret == 1 { keys.with { $0.append(upload.key) } }
            }
        }
        let committed = Set(keys.get)
        #expect(committed.count == 2 * rounds, "every commit succeeds; later ones replace earlier ones")

        let page = try await first.listFiles(bucket: "b", limit: 10)
        #expect(page.entries.count == 1)
        let winner = try #require(page.entries.first?.needle.key)
        #expect(committed.contains(winner))
        let viaB = try b.endpoint.get("/get?bucket=b&filename=same.png")
        #expect((viaB.json["key"] as? NSNumber)?.int64Value == winner)

        // Both reapers run; deletes are idempotent and each tombstone is confirmed once.
        async let roundA: Void = a.reaper.round()
        async let roundB: Void = b.reaper.round()
        _ = await (roundA, roundB)
        for store in a.stores {
            #expect(Set(store.deleted) == committed.subtracting([winner]))
        }
        #expect(try await first.pendingTombstones(now: farFuture, limit: 100).isEmpty)
        #expect(try await first.expiredAllocations(before: farFuture, limit: 100).isEmpty)
        await first.close()
        await second.close()
    }
}
