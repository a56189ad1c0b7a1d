import Testing
@testable import BFSStorage

@Suite struct FormatTests {
    @Test func needleDesignVector() {
        // DESIGN.md §4.1 / reference §1.3: key 1, cookie 2, data "abc", 32 bytes, no padding.
        let bytes = NeedleFormat.encode(key: 1, cookie: 2, data: Array("abc".utf8))
        #expect(hex(bytes) == "12345678" + "00000002" + "0000000000000001" + "00" + "00000003" + "616263" + "87654321" + "ba2322ac")
    }

    @Test func needlePaddingIsZeroAndAligned() {
        let bytes = NeedleFormat.encode(key: -5, cookie: -1, data: [0xFF])
        #expect(bytes.count == 32)
        let expectedHead: String = "12345678" + "ffffffff" + "fffffffffffffffb" + "00" + "00000001" + "ff" + "87654321"
        let text = hex(bytes)
        #expect(text.hasPrefix(expectedHead))
        #expect(text.hasSuffix("000000"))
        let crc = bytes.withUnsafeBytes { BigEndianBytes.loadU32($0, 26) }
        #expect(crc == CRC32Koopman.checksum([UInt8]([0xFF])))
        #expect(NeedleFormat.totalSize(dataSize: 0) == 32)
        #expect(NeedleFormat.totalSize(dataSize: 3) == 32)
        #expect(NeedleFormat.totalSize(dataSize: 4) == 40)
    }

    @Test func needleParseRoundTripAndErrors() throws {
        let data = payload(7, 0, size: 100)
        var bytes = NeedleFormat.encode(key: 7, cookie: 9, data: data)
        let header = try bytes.withUnsafeBytes { try NeedleFormat.parseHeader($0, at: 0, maxDataSize: 1000) }
        #expect(header == NeedleHeader(cookie: 9, key: 7, flag: 0, dataSize: 100))
        try bytes.withUnsafeBytes { try NeedleFormat.verifyBody($0, at: 0, header: header) }
        #expect(throws: StorageError.badSize(100)) {
            try bytes.withUnsafeBytes { try NeedleFormat.parseHeader($0, at: 0, maxDataSize: 99) }
        }
        bytes[NeedleFormat.headerSize + 5] ^= 1
        #expect(throws: StorageError.self) {
            try bytes.withUnsafeBytes { try NeedleFormat.verifyBody($0, at: 0, header: header) }
        }
        bytes[NeedleFormat.headerSize + 5] ^= 1
        bytes[bytes.count - 1] = 1
        #expect(throws: StorageError.badPadding) {
            try bytes.withUnsafeBytes { try NeedleFormat.verifyBody($0, at: 0, header: header) }
        }
        bytes[NeedleFormat.flagOffset] = 2
        #expect(throws: StorageError.badFlag(2)) {
            try bytes.withUnsafeBytes { try NeedleFormat.parseHeader($0, at: 0, maxDataSize: 1000) }
        }
        bytes[0] = 0
        #expect(throws: StorageError.badHeaderMagic(offset: 0)) {
            try bytes.withUnsafeBytes { try NeedleFormat.parseHeader($0, at: 0, maxDataSize: 1000) }
        }
    }

    @Test func superBlockGolden() throws {
        #expect(hex(SuperBlockFormat.makeHeader()) == "abcdef0001000000")
        try SuperBlockFormat.validate([0xAB, 0xCD, 0xEF, 0x00, 0x01, 0, 0, 0])
        #expect(throws: StorageError.badSuperBlockMagic) { try SuperBlockFormat.validate([0xAB, 0xCD, 0xEF, 0x01, 1, 0, 0, 0]) }
        #expect(throws: StorageError.unsupportedVersion(2)) { try SuperBlockFormat.validate([0xAB, 0xCD, 0xEF, 0x00, 2, 0, 0, 0]) }
    }

    @Test func indexRecordGolden() {
        let r = IndexRecord(key: 0x0102_0304_0506_0708, offsetUnits: 0x0A0B_0C0D, totalSize: 40)
        #expect(hex(r.bytes) == "0102030405060708" + "0a0b0c0d" + "00000028")
        let back = r.bytes.withUnsafeBytes { IndexRecord.decode($0, at: 0) }
        #expect(back == r)
        #expect(r.isPlausible(after: 0, blockSize: 0x0A0B_0C0D * 8 + 40, maxTotalSize: 1 << 20))
        #expect(!r.isPlausible(after: 0, blockSize: 0x0A0B_0C0D * 8 + 39, maxTotalSize: 1 << 20))
        #expect(!r.isPlausible(after: 0x0A0B_0C0D, blockSize: Int64.max, maxTotalSize: 1 << 20))
        #expect(!IndexRecord(key: 1, offsetUnits: 0, totalSize: 32).isPlausible(after: 0, blockSize: 1000, maxTotalSize: 100))
        #expect(!IndexRecord(key: 1, offsetUnits: 1, totalSize: 33).isPlausible(after: 0, blockSize: 1000, maxTotalSize: 100))
    }

    @Test func volumeListGoldenAndParse() throws {
        let entries = [VolumeListEntry(blockPath: "/d/1_0", indexPath: "/i/1_0.idx", id: 1),
                       VolumeListEntry(blockPath: "/d/_free_block_3", indexPath: "/i/_free_block_3.idx", id: -1)]
        let text = VolumeListFormat.encode(entries)
        #expect(text == "/d/1_0,/i/1_0.idx,1\n/d/_free_block_3,/i/_free_block_3.idx,-1\n")
        #expect(try VolumeListFormat.parse("\n" + text + "\n\n") == entries)
        #expect(throws: StorageError.badVolumeList(line: "a,b")) { try VolumeListFormat.parse("a,b\n") }
        #expect(throws: StorageError.badVolumeList(line: "a,b,x")) { try VolumeListFormat.parse("a,b,x\n") }
        #expect(throws: StorageError.badVolumeList(line: "a,b,99999999999")) { try VolumeListFormat.parse("a,b,99999999999\n") }
    }

    @Test func everyErrorMapsToARet() {
        #expect(StorageError.needleNotFound.ret == .needleNotExist)
        #expect(StorageError.needleDeleted.ret == .needleDeleted)
        #expect(StorageError.cookieMismatch.ret == .needleCookie)
        #expect(StorageError.checksumMismatch(expected: 1, actual: 2).ret == .needleChecksum)
        #expect(StorageError.badVolumeList(line: "").ret == .storeVolumeIndex)
        #expect(StorageError.noFreeVolume.ret == .storeNoFreeVolume)
        #expect(StorageError.volumeFull.ret == .superBlockNoSpace)
    }
}
