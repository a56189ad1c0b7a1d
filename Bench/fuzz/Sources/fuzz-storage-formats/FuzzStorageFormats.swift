import BFSStorage

/// Needle parsing: whatever parses and verifies must be exactly what `encode` writes for it.
private func fuzzNeedle(_ bytes: UnsafeRawBufferPointer) {
    guard let header = try? NeedleFormat.parseHeader(bytes, at: 0, maxDataSize: bytes.count) else { return }
    precondition(header.totalSize >= NeedleFormat.minTotalSize && header.totalSize % NeedleFormat.alignment == 0)
    guard (try? NeedleFormat.verifyBody(bytes, at: 0, header: header)) != nil else { return }
    let data = UnsafeRawBufferPointer(rebasing: bytes[NeedleFormat.headerSize..<(NeedleFormat.headerSize + header.dataSize)])
    let again = NeedleFormat.encode(key: header.key, cookie: header.cookie, data: data, flag: header.flag)
    precondition(again.elementsEqual(bytes[0..<header.totalSize]), "a verified needle is not its own encoding")
}

/// Index records: every 16 bytes decode, re-encode to themselves, and the plausibility check
/// (used by recovery on untrusted files) never traps.
private func fuzzIndex(_ bytes: UnsafeRawBufferPointer) {
    var previous: UInt32 = 0
    var at = 0
    while at + IndexRecord.size <= bytes.count {
        let record = IndexRecord.decode(bytes, at: at)
        var out = [UInt8](repeating: 0, count: IndexRecord.size)
        out.withUnsafeMutableBytes { record.encode(into: $0, at: 0) }
        precondition(out.elementsEqual(bytes[at..<(at + IndexRecord.size)]), "index record does not round-trip")
        if record.isPlausible(after: previous, blockSize: 1 << 32, maxTotalSize: 1 << 24) {
            previous = record.offsetUnits
        }
        at += IndexRecord.size
    }
}

/// Volume lists: what parses must encode to text that parses to the same entries.
private func fuzzVolumeList(_ bytes: UnsafeRawBufferPointer) {
    let text = String(decoding: bytes, as: UTF8.self)
    guard let entries = try? VolumeListFormat.parse(text) else { return }
    let again = try? VolumeListFormat.parse(VolumeListFormat.encode(entries))
    precondition(again == entries, "volume list does not round-trip: \(entries)")
}

/// The first byte picks the format; the rest is the file content.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStorageFormats(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    switch data[0] % 4 {
    case 0: fuzzNeedle(bytes)
    case 1: fuzzIndex(bytes)
    case 2: fuzzVolumeList(bytes)
    default: _ = try? SuperBlockFormat.validate(Array(bytes))
    }
    return 0
}
