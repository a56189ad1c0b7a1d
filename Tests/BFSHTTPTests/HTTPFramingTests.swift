import BFSTestSupport
import BFSLoop
import Dispatch
import Glibc
import Testing
@testable import BFSHTTP

@Suite struct HTTPFramingTests {
    @Test func requestsSplitAtRandomPointsParseTheSame() throws {
        let seed = UInt64(time(nil)) ^ 0x5EED
        print("randomSplit seed \(seed)")
        var gen = SeededGenerator(seed: seed)
        let stream = get("/path?a=1") +
            "POST /echo HTTP/1.1\r\nHost: t\r\nX-Long-Header-Name: \(String(repeating: "v", count: 300))\r\nContent-Length: 11\r\n\r\nhello world" +
            "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n" +
            get("/path?b=2")
        let bytes = Array(stream.utf8)
        try withServer(router: testRouter()) { _, port in
            let client = try TestHTTPClient(port: port)
            var off = 0
            while off < bytes.count {
                let n = min(bytes.count - off, Int(gen.next() % 40) + 1)
                try client.send(Array(bytes[off..<(off + n)]))
                off += n
                if gen.next() % 4 == 0 { usleep(1000) }  // let the server read the pieces separately
            }
            #expect(try client.readResponse().text == "/path|a=1")
            #expect(try client.readResponse().text == "hello world")
            #expect(try client.readResponse().text == "abcdefg")
            #expect(try client.readResponse().text == "/path|b=2")
        }
    }

    @Test func respondFromAnotherThreadHopsToTheLoop() throws {
        let router = testRouter { r in
            r.add(.get, "/elsewhere") { ex in
                DispatchQueue.global().async {
                    ex.respond(body: .bytes(Array("from a pool thread".utf8))) { error in
                        precondition(ex.loop.inEventLoop && error == nil)
                    }
                }
            }
        }
        try withServer(router: router) { _, port in
            let client = try TestHTTPClient(port: port)
            for _ in 0..<3 {
                try client.send(get("/elsewhere"))
                #expect(try client.readResponse().text == "from a pool thread")
            }
        }
    }

    @Test func absoluteFormTargetAndFragmentAreSplitIntoPathAndQuery() {
        #expect(HTTPRequestHead.split(uri: "/a/b?x=1&y=2#frag") == ("/a/b", "x=1&y=2"))
        #expect(HTTPRequestHead.split(uri: "http://host:80/get?key=5") == ("/get", "key=5"))
        #expect(HTTPRequestHead.split(uri: "http://host") == ("/", ""))
        #expect(HTTPRequestHead.split(uri: "/plain") == ("/plain", ""))
    }

    @Test func headerLookupIgnoresCase() {
        var h: HTTPHeaders = ["Content-Type": "text/plain", "X-A": "1"]
        h.add(name: "x-a", value: "2")
        #expect(h["content-type"] == "text/plain")
        #expect(h["CONTENT-TYPE"] == "text/plain")
        #expect(h.values(for: "X-a") == ["1", "2"])
        #expect(h["Content-Typf"] == nil)
        h.replaceOrAdd(name: "X-A", value: "3")
        #expect(h.values(for: "x-a") == ["3"])
    }

    @Test func dateHeaderIsIMFFixdate() {
        #expect(HTTPDateCache.format(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
    }
}
