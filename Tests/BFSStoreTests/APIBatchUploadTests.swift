import BFSCore
import BFSHTTP
import Testing
@testable import BFSStore

/// `/uploads` over a real socket against an in-process store.
@Suite struct APIBatchUploadTests {
    static func batch(vid: String = "1", keys: [String], cookies: [String], files: [[UInt8]]) -> MultipartWriter {
        var form = MultipartWriter()
        form.addField(name: "vid", value: vid)
        for k in keys { form.addField(name: "keys", value: k) }
        for c in cookies { form.addField(name: "cookies", value: c) }
        for (i, f) in files.enumerated() { form.addFile(name: "file", filename: "f\(i)", data: f) }
        return form
    }

    @Test func batchRoundTrip() throws {
        var random = SeededRandom(label: "batch")
        try withStoreHarness { h in
            let c = try h.client()
            let files = (0..<5).map { _ in random.bytes(Int(random.next() % 40_000)) }
            let keys = (0..<5).map { String(500 + $0) }
            let cookies = (0..<5).map { String(70 + $0) }
            let r = try APIUploadTests.post(c, "/uploads", Self.batch(keys: keys, cookies: cookies, files: files))
            #expect(r.status == 200)
            #expect(r.text == "{\"ret\":1}")
            for i in 0..<5 {
                #expect(try c.get(vid: 1, key: Int64(500 + i), cookie: Int32(70 + i)).body == files[i])
            }
            #expect(h.context.stats(of: 1).snapshot(previous: nil, seconds: 0).totalWriteProcessed == 5)
        }
    }

    @Test func mismatchedCountsAndBadValuesAre65534() throws {
        try withStoreHarness { h in
            let c = try h.client()
            let cases = [
                Self.batch(keys: ["1", "2"], cookies: ["1"], files: [[1], [2]]),
                Self.batch(keys: ["1"], cookies: ["1"], files: [[1], [2]]),
                Self.batch(keys: ["1", "2"], cookies: ["1", "2"], files: [[1]]),
                Self.batch(keys: ["1", "x"], cookies: ["1", "2"], files: [[1], [2]]),
                Self.batch(vid: "v", keys: ["1"], cookies: ["1"], files: [[1]]),
                Self.batch(keys: [], cookies: [], files: []),
            ]
            for form in cases {
                let r = try APIUploadTests.post(c, "/uploads", form)
                #expect(r.status == 200)
                #expect(r.text == "{\"ret\":65534}")
            }
            // Nothing of a refused batch was written.
            #expect(try c.get(vid: 1, key: 1, cookie: 1).status == 404)
            let absent = try APIUploadTests.post(c, "/uploads", Self.batch(vid: "3", keys: ["1"], cookies: ["1"], files: [[1]]))
            #expect(absent.text == "{\"ret\":8001}")
        }
    }

    @Test func batchOverTheLimitIs2000() throws {
        var settings = StoreSettings()
        settings.batchMaxFiles = 3
        try withStoreHarness(settings: settings) { h in
            let c = try h.client()
            let ok = try APIUploadTests.post(c, "/uploads", Self.batch(keys: ["1", "2", "3"], cookies: ["1", "1", "1"], files: [[1], [2], [3]]))
            #expect(ok.text == "{\"ret\":1}")
            let c2 = try h.client()
            let over = try APIUploadTests.post(c2, "/uploads", Self.batch(keys: ["4", "5", "6", "7"], cookies: ["1", "1", "1", "1"],
                                                                        files: [[4], [5], [6], [7]]))
            #expect(over.status == 200)
            #expect(over.text == "{\"ret\":2000}")
            #expect(try c.get(vid: 1, key: 4, cookie: 1).status == 404)
        }
    }

    @Test func oversizeFileInBatchIs5011AndNothingIsWritten() throws {
        var settings = StoreSettings()
        settings.needleMaxSize = 1000
        try withStoreHarness(settings: settings) { h in
            let c = try h.client()
            let form = Self.batch(keys: ["1", "2"], cookies: ["1", "1"], files: [[1, 2, 3], Array(repeating: 9, count: 1001)])
            let r = try APIUploadTests.post(c, "/uploads", form)
            #expect(r.text == "{\"ret\":5011}")
            let c2 = try h.client()
            #expect(try c2.get(vid: 1, key: 1, cookie: 1).status == 404)
        }
    }
}
