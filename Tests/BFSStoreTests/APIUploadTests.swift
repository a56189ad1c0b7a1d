import BFSTestSupport
import BFSCore
import BFSHTTP
import BFSStorage
import Dispatch
import Synchronization
import Testing
@testable import BFSStore

/// `/upload` over a real socket against an in-process store.
@Suite struct APIUploadTests {
    /// A multipart body with the given fields and one `file` part (if `file` is non-nil).
    static func form(_ fields: [(String, String)], file: [UInt8]?, fileField: String = "file") -> MultipartWriter {
        var form = MultipartWriter()
        for (n, v) in fields { form.addField(name: n, value: v) }
        if let file { form.addFile(name: fileField, filename: "a.jpg", data: file) }
        return form
    }

    static func post(_ c: TestHTTPClient, _ path: String, _ form: MultipartWriter, chunked: Bool = false) throws -> TestHTTPResponse {
        try c.request("POST", path, headers: [("Content-Type", form.contentType)], body: form.makeBody(), chunked: chunked)
    }

    @Test func badParametersAnswerBfsCodes() throws {
        try withStoreHarness { h in
            let c = try h.client()
            let cases: [([(String, String)], [UInt8]?, String)] = [
                ([("key", "1"), ("cookie", "1")], [1], "{\"ret\":65534}"),                // no vid
                ([("vid", "1"), ("key", "x"), ("cookie", "1")], [1], "{\"ret\":65534}"),  // bad key
                ([("vid", "1"), ("key", "1"), ("cookie", "4294967296")], [1], "{\"ret\":65534}"),  // cookie > int32
                ([("vid", "1"), ("key", "1"), ("cookie", "1")], nil, "{\"ret\":65535}"),  // no file part
                ([("vid", "2"), ("key", "1"), ("cookie", "1")], [1], "{\"ret\":8001}"),   // no such volume
            ]
            for (fields, file, expected) in cases {
                let r = try Self.post(c, "/upload", Self.form(fields, file: file))
                #expect(r.status == 200)
                #expect(r.text == expected, "\(fields)")
            }
            // A file part under another name is not the file.
            let other = try Self.post(c, "/upload", Self.form([("vid", "1"), ("key", "1"), ("cookie", "1")], file: [1], fileField: "photo"))
            #expect(other.text == "{\"ret\":65535}")
        }
    }

    @Test func parametersMayComeFromTheQueryString() throws {
        try withStoreHarness { h in
            let c = try h.client()
            let form = Self.form([("cookie", "3")], file: [5, 6, 7])
            let r = try Self.post(c, "/upload?vid=1&key=42&cookie=999", form)
            #expect(r.text == "{\"ret\":1}")
            // The body's cookie wins over the query's (Go FormValue).
            #expect(try c.get(vid: 1, key: 42, cookie: 3).body == [5, 6, 7])
        }
    }

    @Test func nonMultipartBodiesAre400WithParamError() throws {
        try withStoreHarness { h in
            for path in ["/upload", "/uploads"] {
                let c = try h.client()
                let r = try c.request("POST", path, headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                      body: Array("vid=1&key=1&cookie=1".utf8))
                #expect(r.status == 400)
                #expect(r.text == "{\"ret\":65534}")
                let truncated = try c.request("POST", path, headers: [("Content-Type", "multipart/form-data; boundary=xyz")],
                                              body: Array("--xyz\r\nContent-Disposition: form-data; name=\"vid\"\r\n\r\n1".utf8))
                #expect(truncated.status == 400)
                #expect(truncated.text == "{\"ret\":65534}")
            }
        }
    }

    @Test func oversizeIsRefusedWith5011() throws {
        var settings = StoreSettings()
        settings.needleMaxSize = 64 * 1024
        var random = SeededRandom(label: "oversize")
        try withStoreHarness(settings: settings) { h in
            let fields = [("vid", "1"), ("key", "1"), ("cookie", "1")]
            // Exactly the maximum is accepted (bfs counted the multipart framing against it).
            let c = try h.client()
            let max = random.bytes(64 * 1024)
            #expect(try Self.post(c, "/upload", Self.form(fields, file: max)).text == "{\"ret\":1}")
            // One byte more: refused while streaming, with and without a declared length.
            for chunked in [false, true] {
                let c = try h.client()
                let r = try Self.post(c, "/upload", Self.form(fields, file: random.bytes(64 * 1024 + 1)), chunked: chunked)
                #expect(r.status == 200)
                #expect(r.text == "{\"ret\":5011}", "chunked \(chunked)")
            }
            // A declared length that cannot fit is refused from the head alone: no body is sent.
            let early = try h.client()
            let form = Self.form(fields, file: [])
            try early.send(Array("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: \(form.contentType)\r\nContent-Length: 50000000\r\n\r\n".utf8))
            let r = try early.readResponse()
            #expect(r.text == "{\"ret\":5011}")
            #expect(try c.get(vid: 1, key: 1, cookie: 1).body == max)
        }
    }

    @Test func chunkedUploadIsAccepted() throws {
        var random = SeededRandom(label: "chunked")
        try withStoreHarness { h in
            let c = try h.client()
            let data = random.bytes(150_000)
            let r = try c.upload(vid: 1, key: 11, cookie: 12, data: data, chunked: true)
            #expect(r.text == "{\"ret\":1}")
            #expect(try c.get(vid: 1, key: 11, cookie: 12).body == data)
        }
    }

    @Test func overwriteServesTheSecondUpload() throws {
        try withStoreHarness { h in
            let c = try h.client()
            #expect(try c.upload(vid: 1, key: 5, cookie: 1, data: Array("first".utf8)).text == "{\"ret\":1}")
            #expect(try c.upload(vid: 1, key: 5, cookie: 2, data: Array("second".utf8)).text == "{\"ret\":1}")
            #expect(try c.get(vid: 1, key: 5, cookie: 2).text == "second")
            #expect(try c.get(vid: 1, key: 5, cookie: 1).status == 404)  // the old cookie is gone with the old needle
        }
    }

    @Test func concurrentUploadsFromSeveralThreadsAllReadBack() throws {
        let seed = UInt64.random(in: 1...UInt64.max)
        print("seed concurrent: \(seed)")
        try withStoreHarness(loops: 2) { h in
            let threads = 4, perThread = 25
            let failures = Mutex<[String]>([])
            let port = h.port
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                do {
                    var random = SeededRandom(seed: seed &+ UInt64(t), label: "thread \(t)")
                    let c = try TestHTTPClient(port: port)
                    var sent: [(Int64, [UInt8])] = []
                    for i in 0..<perThread {
                        let key = Int64(t * 1000 + i)
                        let data = random.bytes(Int(random.next() % 50_000))
                        let r = try c.upload(vid: 1, key: key, cookie: Int32(t), data: data)
                        if r.text != "{\"ret\":1}" { failures.withLock { $0.append("upload \(key): \(r.text)") } }
                        sent.append((key, data))
                    }
                    for (key, data) in sent where try c.get(vid: 1, key: key, cookie: Int32(t)).body != data {
                        failures.withLock { $0.append("read \(key) differs") }
                    }
                } catch {
                    failures.withLock { $0.append("thread \(t): \(error)") }
                }
            }
            #expect(failures.withLock { $0 } == [])
            #expect(h.context.stats(of: 1).snapshot(previous: nil, seconds: 0).totalWriteProcessed == UInt64(threads * perThread))
        }
    }

    @Test func rateLimitedUploadAnswers65533() throws {
        var settings = StoreSettings()
        settings.writeRate = 0.001
        settings.writeBurst = 1
        try withStoreHarness(settings: settings) { h in
            let c = try h.client()
            #expect(try c.upload(vid: 1, key: 1, cookie: 1, data: [1]).text == "{\"ret\":1}")
            let limited = try c.upload(vid: 1, key: 2, cookie: 1, data: [1])
            #expect(limited.status == 200)
            #expect(limited.text == "{\"ret\":65533}")
        }
    }

    @Test func acknowledgedUploadSurvivesReopen() throws {
        var random = SeededRandom(label: "durable")
        let harness = try StoreTestHarness()
        defer { harness.shutdown() }
        let c = try harness.client()
        var sent: [(Int64, [UInt8])] = []
        for key in Int64(1)...Int64(20) {
            let data = random.bytes(Int(random.next() % 100_000))
            #expect(try c.upload(vid: 1, key: key, cookie: 9, data: data).text == "{\"ret\":1}")
            sent.append((key, data))
        }
        let reopened = try harness.stopAndReopenVolumes()
        defer { reopened.close() }
        let volume = try #require(reopened.volume(1))
        for (key, data) in sent {
            #expect(try volume.read(key: key, cookie: 9) == data)
        }
    }
}
