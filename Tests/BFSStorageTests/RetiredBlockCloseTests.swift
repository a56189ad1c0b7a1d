import BFSTestSupport
import Glibc
import Synchronization
import Testing
@testable import BFSStorage

/// The old block of a compacted volume is unlinked while reads may still hold it; the last
/// descriptor's `close(2)` then frees all of its blocks (seconds for a multi-GiB file on ext4).
/// That close must not run on the thread that drops the last read lease: it is a loop thread.
@Suite struct RetiredBlockCloseTests {
    @Test func lastLeaseOfACompactedBlockClosesOffTheDroppingThread() throws {
        let dir = TempDir("retired-close")
        defer { dir.remove() }
        let fs = CloseRecordingFileSystem()
        let v = try makeVolume(dir, fs: fs)
        defer { v.close() }
        for key in Int64(1)...4 { try v.appendAndWait(key: key, cookie: 1, data: [UInt8](repeating: UInt8(key), count: 100)) }
        var lease: NeedleExtent? = try v.locate(key: 1, cookie: 1)
        let oldBlock = try #require(lease?.block.file as? RecordingFile).id
        try v.compact(toBlock: dir.file("1_1"), index: dir.file("1_1.idx"))
        try fs.remove(dir.file("1_0"))
        #expect(fs.closers(of: oldBlock).isEmpty, "the lease still holds the old block")
        let dropper = pthread_self()
        lease = nil
        #expect(lease == nil)
        #expect(waitUntil(seconds: 10) { !fs.closers(of: oldBlock).isEmpty })
        #expect(fs.closers(of: oldBlock).allSatisfy { pthread_equal($0, dropper) == 0 })
        #expect(try v.read(key: 1, cookie: 1) == [UInt8](repeating: 1, count: 100))
    }
}

/// `PosixFileSystem` that records which thread closed each file.
final class CloseRecordingFileSystem: FileSystem {
    private let base = PosixFileSystem()
    private let closes = Mutex<[(file: ObjectIdentifier, thread: pthread_t)]>([])

    /// Threads that closed the file opened as `file` (`RecordingFile.id`).
    func closers(of file: ObjectIdentifier) -> [pthread_t] {
        closes.withLock { $0.filter { $0.file == file }.map(\.thread) }
    }

    func open(_ path: String, create: Bool) throws(StorageError) -> StorageFile {
        let inner = try base.open(path, create: create)
        let id = ObjectIdentifier(inner)
        return RecordingFile(inner) { [self] in
            closes.withLock { $0.append((id, pthread_self())) }
        }
    }

    func exists(_ path: String) -> Bool { base.exists(path) }
    func rename(_ from: String, to: String) throws(StorageError) { try base.rename(from, to: to) }
    func remove(_ path: String) throws(StorageError) { try base.remove(path) }
    func syncDirectory(_ directory: String) throws(StorageError) { try base.syncDirectory(directory) }
    func makeDirectory(_ directory: String) throws(StorageError) { try base.makeDirectory(directory) }
}

/// A file that reports its `close` and forwards everything else.
final class RecordingFile: StorageFile {
    let inner: StorageFile
    /// Names this file in `CloseRecordingFileSystem.closers(of:)`.
    var id: ObjectIdentifier { ObjectIdentifier(inner) }
    let didClose: @Sendable () -> Void

    init(_ inner: StorageFile, didClose: @escaping @Sendable () -> Void) {
        self.inner = inner
        self.didClose = didClose
    }

    var descriptor: Int32 { inner.descriptor }
    var path: String { inner.path }
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(StorageError) -> Int {
        try inner.read(into: buffer, at: offset)
    }
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(StorageError) { try inner.write(bytes, at: offset) }
    func sync() throws(StorageError) { try inner.sync() }
    func size() throws(StorageError) -> Int64 { try inner.size() }
    func truncate(to size: Int64) throws(StorageError) { try inner.truncate(to: size) }
    func preallocate(_ size: Int64) throws(StorageError) { try inner.preallocate(size) }
    func close() {
        inner.close()
        didClose()
    }
}
