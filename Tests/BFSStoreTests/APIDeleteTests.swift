import BFSCore
import BFSStorage
import Testing
@testable import BFSStore

/// `/del` over a real socket against an in-process store.
@Suite struct APIDeleteTests {
    @Test func deleteThenGetIs404AndTwiceIs5010() throws {
        try withStoreHarness { h in
            let c = try h.client()
            _ = try c.upload(vid: 1, key: 3, cookie: 4, data: [1, 2])
            let r = try c.delete(vid: 1, key: 3)
            #expect(r.status == 200)
            #expect(r.header("Content-Type") == "application/json;charset=utf-8")
            #expect(r.text == "{\"ret\":1}")
            let gone = try c.get(vid: 1, key: 3, cookie: 4)
            #expect(gone.status == 404)
            #expect(gone.text == "needle deleted\n")
            #expect(try c.delete(vid: 1, key: 3).text == "{\"ret\":5010}")
            #expect(h.context.stats(of: 1).snapshot(previous: nil, seconds: 0).totalDelProcessed == 1)
        }
    }

    @Test func errorsMatchBfs() throws {
        try withStoreHarness { h in
            let c = try h.client()
            #expect(try c.delete(vid: 1, key: 77).text == "{\"ret\":5001}")
            #expect(try c.delete(vid: 9, key: 77).text == "{\"ret\":8001}")
            let bad = try c.request("POST", "/del", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                    body: Array("key=abc&vid=1".utf8))
            #expect(bad.text == "{\"ret\":65534}")
            let missing = try c.request("POST", "/del", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                        body: Array("vid=1".utf8))
            #expect(missing.text == "{\"ret\":65534}")
            #expect(try c.request("GET", "/del?vid=1&key=1").status == 405)
        }
    }

    @Test func queryParametersAreAcceptedToo() throws {
        try withStoreHarness { h in
            let c = try h.client()
            _ = try c.upload(vid: 1, key: 8, cookie: 1, data: [1])
            #expect(try c.request("POST", "/del?vid=1&key=8").text == "{\"ret\":1}")
            #expect(try c.get(vid: 1, key: 8, cookie: 1).status == 404)
        }
    }

    @Test func rateLimitedDeleteAnswers65533() throws {
        var settings = StoreSettings()
        settings.deleteRate = 0.001
        settings.deleteBurst = 1
        try withStoreHarness(settings: settings) { h in
            let c = try h.client()
            _ = try c.upload(vid: 1, key: 1, cookie: 1, data: [1])
            _ = try c.upload(vid: 1, key: 2, cookie: 1, data: [1])
            #expect(try c.delete(vid: 1, key: 1).text == "{\"ret\":1}")
            #expect(try c.delete(vid: 1, key: 2).text == "{\"ret\":65533}")
            #expect(try c.get(vid: 1, key: 2, cookie: 1).status == 200)
        }
    }

    @Test func acknowledgedDeleteSurvivesReopen() throws {
        let harness = try StoreTestHarness()
        defer { harness.shutdown() }
        let c = try harness.client()
        _ = try c.upload(vid: 1, key: 1, cookie: 1, data: [1])
        _ = try c.upload(vid: 1, key: 2, cookie: 1, data: [2])
        #expect(try c.delete(vid: 1, key: 1).text == "{\"ret\":1}")
        let reopened = try harness.stopAndReopenVolumes()
        defer { reopened.close() }
        let volume = try #require(reopened.volume(1))
        #expect(throws: StorageError.needleDeleted) { try volume.read(key: 1, cookie: 1) }
        #expect(try volume.read(key: 2, cookie: 1) == [2])
    }
}
