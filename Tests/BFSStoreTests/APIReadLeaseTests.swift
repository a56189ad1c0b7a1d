import BFSTestSupport
import BFSCore
import BFSStorage
import Glibc
import Testing
@testable import BFSStore

/// The read lease (`NeedleExtent`) held by `/get` answers is released on every path, so the
/// block descriptor closes once the store lets go of the volume.
@Suite struct APIReadLeaseTests {
    final class WeakBlock {
        weak var handle: BlockHandle?
    }

    @Test func everyGetPathReleasesTheBlockHandle() throws {
        var random = SeededRandom(label: "lease")
        let watched = WeakBlock()
        var blockPath = ""
        do {
            let h = try StoreTestHarness()
            let c = try h.client()
            let small = random.bytes(2000), large = random.bytes(4 << 20)
            _ = try c.upload(vid: 1, key: 1, cookie: 1, data: small)
            _ = try c.upload(vid: 1, key: 2, cookie: 1, data: large)
            let volume = try #require(h.context.volumes.volume(1))
            blockPath = volume.blockPath
            watched.handle = try volume.locate(key: 1, cookie: 1).block
            #expect(watched.handle != nil)
            #expect(try c.get(vid: 1, key: 1, cookie: 1).body == small)
            #expect(try c.get(vid: 1, key: 2, cookie: 1).body == large)
            #expect(try c.get(vid: 1, key: 2, cookie: 1, method: "HEAD").status == 200)
            #expect(try c.get(vid: 1, key: 2, cookie: 1, headers: [("Range", "bytes=5-9")]).status == 206)
            #expect(try c.get(vid: 1, key: 2, cookie: 1, headers: [("Range", "bytes=99999999-")]).status == 416)
            #expect(try c.get(vid: 1, key: 2, cookie: 2).status == 404)
            // A client that leaves in the middle of a sendfile: the server closes the connection.
            var quitter: TestHTTPClient? = try h.client()
            try quitter?.send(Array("GET /get?vid=1&key=2&cookie=1 HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            usleep(50_000)  // let the send start and stall on the unread socket
            quitter = nil   // closes without reading the 4 MiB body
            usleep(50_000)
            h.shutdown()
        }
        // With the harness gone, nothing may still hold the block: no lease leaked.
        #expect(watched.handle == nil)
        // The temp dir is gone, so a leaked descriptor would read "<path> (deleted)".
        #expect(!Self.openPaths().contains { $0.hasPrefix(blockPath) }, "block \(blockPath) still open")
    }

    /// The files this process holds open.
    static func openPaths() -> Set<String> {
        var out = Set<String>()
        guard let d = opendir("/proc/self/fd") else { return out }
        defer { closedir(d) }
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            var buf = [CChar](repeating: 0, count: 4096)
            let n = readlink("/proc/self/fd/" + name, &buf, buf.count - 1)
            if n > 0 { out.insert(String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)) }
        }
        return out
    }
}
