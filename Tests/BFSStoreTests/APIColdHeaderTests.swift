import BFSCore
import BFSTestSupport
import BFSStorage
import Glibc
import Synchronization
import Testing
@testable import BFSStore

/// A file system whose files report every page as uncached and, while `stall` is on, make block
/// reads wait (a slow disk): what a loop must never wait for.
private final class ColdFileSystem: FileSystem, Sendable {
    let base = PosixFileSystem()
    let stalled = Locked(false)
    let stalledReads = Atomic<Int>(0)

    func stall(_ on: Bool) { stalled.with { $0 = on } }

    /// Waits (bounded) while reads are stalled.
    func waitIfStalled() {
        guard stalled.get else { return }
        stalledReads.add(1, ordering: .relaxed)
        _ = waitUntil(seconds: 20) { !stalled.get }
    }

    func open(_ path: String, create: Bool) throws(StorageError) -> StorageFile {
        ColdFile(base: try base.open(path, create: create), owner: self)
    }
    func exists(_ path: String) -> Bool { base.exists(path) }
    func rename(_ from: String, to: String) throws(StorageError) { try base.rename(from, to: to) }
    func remove(_ path: String) throws(StorageError) { try base.remove(path) }
    func syncDirectory(_ directory: String) throws(StorageError) { try base.syncDirectory(directory) }
    func makeDirectory(_ directory: String) throws(StorageError) { try base.makeDirectory(directory) }
}

private final class ColdFile: CacheProbingFile, @unchecked Sendable {
    let base: StorageFile
    let owner: ColdFileSystem
    init(base: StorageFile, owner: ColdFileSystem) {
        self.base = base
        self.owner = owner
    }
    var descriptor: Int32 { base.descriptor }
    var path: String { base.path }
    func readIfCached(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) -> PageCacheRead.Probe { .miss }
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(StorageError) -> Int {
        owner.waitIfStalled()
        return try base.read(into: buffer, at: offset)
    }
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(StorageError) { try base.write(bytes, at: offset) }
    func sync() throws(StorageError) { try base.sync() }
    func size() throws(StorageError) -> Int64 { try base.size() }
    func truncate(to size: Int64) throws(StorageError) { try base.truncate(to: size) }
    func preallocate(_ size: Int64) throws(StorageError) { try base.preallocate(size) }
    func close() { base.close() }
}

@Suite struct APIColdHeaderTests {
    /// A needle whose header page is cold is located on a worker: while its read waits for the
    /// "disk", the same loop keeps answering other connections, and the read then completes.
    @Test func coldHeaderIsReadOffTheLoop() throws {
        let fs = ColdFileSystem()
        let harness = try StoreTestHarness(loops: 1, fileSystem: fs)
        defer {
            fs.stall(false)
            harness.shutdown()
        }
        let data = Array("cold header".utf8)
        let other = try TestHTTPClient(port: harness.port, timeoutSeconds: 5)
        #expect(try other.upload(vid: 1, key: 1, cookie: 2, data: data).text == "{\"ret\":1}")
        fs.stall(true)
        let cold = try TestHTTPClient(port: harness.port, timeoutSeconds: 20)
        try cold.send(Array("GET /get?vid=1&key=1&cookie=2 HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        #expect(waitUntil { fs.stalledReads.load(ordering: .relaxed) > 0 }, "the cold read never reached the file")
        // The loop is free: a lookup of a missing key and an upload are answered meanwhile.
        #expect(try other.get(vid: 1, key: 99, cookie: 2).status == 404)
        #expect(try other.upload(vid: 1, key: 3, cookie: 4, data: [9]).text == "{\"ret\":1}")
        fs.stall(false)
        let answer = try cold.readResponse()
        #expect(answer.status == 200)
        #expect(answer.body == data)
        #expect(coldReadCount(harness.context) >= 1)
    }
}
