import BFSTestSupport
import Testing
@testable import BFSStorage

/// The streaming encoder must produce exactly `NeedleFormat.encode`'s bytes, whatever the chunking.
@Suite struct NeedleBatchTests {
    /// The vector of DESIGN.md §4.1 (key 1, cookie 2, `abc`), padded to 32 bytes.
    @Test func goldenVectorStreamedByteByByte() {
        var batch = NeedleBatch()
        batch.begin()
        for byte in Array("abc".utf8) { [byte].withUnsafeBytes { batch.append($0) } }
        batch.end()
        #expect(!batch.isComplete)
        batch.setHeader(0, key: 1, cookie: 2)
        #expect(batch.isComplete)
        let expected: [UInt8] = [0x12, 0x34, 0x56, 0x78, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 3,
                                 0x61, 0x62, 0x63, 0x87, 0x65, 0x43, 0x21, 0xBA, 0x23, 0x22, 0xAC]
        #expect(batch.bytes == expected)
    }

    @Test func chunkedBatchEqualsOneShotEncoding() {
        var batch = NeedleBatch()
        var expected: [UInt8] = []
        for (i, size) in [0, 1, 7, 8, 4096, 10_000].enumerated() {
            let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ i) }
            batch.begin()
            var at = 0
            while at < size {
                let n = min(size - at, 1 + (at % 997))
                data[at..<(at + n)].withUnsafeBytes { batch.append($0) }
                at += n
            }
            batch.end()
            batch.setHeader(i, key: Int64(i) - 3, cookie: Int32(-i))
            expected += NeedleFormat.encode(key: Int64(i) - 3, cookie: Int32(-i), data: data)
        }
        #expect(batch.count == 6)
        #expect(batch.dataBytes == 0 + 1 + 7 + 8 + 4096 + 10_000)
        #expect(batch.bytes == expected)
        #expect(batch.bytes == NeedleBatch(zip(0..., [0, 1, 7, 8, 4096, 10_000]).map { i, size in
            NeedleInput(key: Int64(i) - 3, cookie: Int32(-i), data: (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ i) })
        }).bytes)
    }

    @Test func discardedOpenNeedleLeavesNoBytes() {
        var batch = NeedleBatch()
        batch.begin()
        ([1, 2, 3] as [UInt8]).withUnsafeBytes { batch.append($0) }
        batch.end()
        batch.begin()
        ([9, 9] as [UInt8]).withUnsafeBytes { batch.append($0) }
        #expect(batch.isOpen && batch.openDataSize == 2)
        batch.discardOpen()
        batch.setHeader(0, key: 5, cookie: 6)
        #expect(batch.isComplete)
        #expect(batch.bytes == NeedleFormat.encode(key: 5, cookie: 6, data: [1, 2, 3]))
    }

    /// A batch whose needle has no header, or is still open, is refused and writes nothing.
    @Test func incompleteBatchIsRefused() throws {
        let dir = TempDir("needle-batch")
        defer { dir.remove() }
        let v = try makeVolume(dir, fs: PosixFileSystem())
        defer { v.close() }
        var batch = NeedleBatch()
        batch.begin()
        ([1] as [UInt8]).withUnsafeBytes { batch.append($0) }
        batch.end()
        let before = v.info.durableEnd
        let headless = ResultBox<[NeedleLocation]>()
        v.append(batch) { headless.set($0) }
        #expect(throws: StorageError.badBatch) { try headless.wait() }
        batch.setHeader(0, key: 1, cookie: 1)
        batch.begin()
        let open = ResultBox<[NeedleLocation]>()
        v.append(batch) { open.set($0) }
        #expect(throws: StorageError.badBatch) { try open.wait() }
        #expect(v.info.needleCount == 0 && v.info.durableEnd == before)
        batch.end()
        batch.setHeader(1, key: 2, cookie: 1)
        let done = ResultBox<[NeedleLocation]>()
        v.append(batch) { done.set($0) }
        #expect(try done.wait().count == 2)
        #expect(try v.read(key: 1, cookie: 1) == [1])
        #expect(try v.read(key: 2, cookie: 1) == [])
    }
}
