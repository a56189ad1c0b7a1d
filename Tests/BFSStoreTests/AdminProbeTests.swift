import BFSCore
import BFSHTTP
import BFSStorage
import Glibc
import Testing
@testable import BFSStore

@Suite struct AdminProbeTests {
    @Test func probeAnswersByVolumeAndNeedleState() throws {
        let store = try AdminTestStore("probe")
        defer { store.stop() }
        #expect(try store.get("/probe?vid=x", method: "HEAD").status == .badRequest)
        #expect(try store.get("/probe", method: "HEAD").status == .badRequest)
        #expect(try store.get("/probe?vid=9", method: "HEAD").status == .notFound)
        #expect(try store.post("/probe", ["vid": "9"]).status == .methodNotAllowed)
        try store.addVolume(3)
        // An empty volume is healthy (bfs answered 404 here).
        #expect(try store.get("/probe?vid=3", method: "HEAD").status == .ok)
        let volume = try #require(store.volumes.volume(3))
        try volume.appendAndWait(key: 42, cookie: 7, data: Array("hello probe".utf8))
        #expect(try store.get("/probe?vid=3", method: "HEAD").status == .ok)
        #expect(try store.get("/probe?vid=3").status == .ok)
        try volume.deleteAndWait(key: 42)
        // Only deleted needles left: nothing live to probe, so healthy.
        #expect(try store.get("/probe?vid=3").status == .ok)
    }

    @Test func probeReportsACorruptNeedleAs500() throws {
        let store = try AdminTestStore("probe-corrupt")
        defer { store.stop() }
        try store.addVolume(4)
        let volume = try #require(store.volumes.volume(4))
        let data = Array(repeating: UInt8(ascii: "a"), count: 100)
        try volume.appendAndWait(key: 5, cookie: 1, data: data)
        // The only needle starts right after the 8-byte super block; flip one data byte.
        let fd = open(volume.blockPath, O_WRONLY)
        #expect(fd >= 0)
        var byte = UInt8(ascii: "b")
        #expect(pwrite(fd, &byte, 1, off_t(8 + NeedleFormat.headerSize + 10)) == 1)
        close(fd)
        let r = try store.get("/probe?vid=4")
        #expect(r.status == .internalServerError)
        #expect(r.text.contains("checksum"))
    }

    @Test func randomLiveKeyOnlyReturnsLiveKeys() throws {
        let store = try AdminTestStore("probe-sample")
        defer { store.stop() }
        try store.addVolume(1)
        let volume = try #require(store.volumes.volume(1))
        #expect(volume.randomLiveKey() == nil)
        for key in Int64(1)...50 { try volume.appendAndWait(key: key, cookie: 1, data: [UInt8(key)]) }
        for key in Int64(1)...50 where key % 5 != 0 { try volume.deleteAndWait(key: key) }
        var seen = Set<Int64>()
        for _ in 0..<200 {
            let key = try #require(volume.randomLiveKey())
            #expect(key % 5 == 0)
            seen.insert(key)
        }
        #expect(seen.count > 1)
    }
}
