/// The volume list files `volume.idx` and `free_volume.idx` (reference/bfs-v1.md §1.1): text, one
/// volume per line.
///
/// | Field | Meaning |
/// |---|---|
/// | 1 | block file path |
/// | 2 | index file path |
/// | 3 | volume id, decimal int32 (`-1` for every free volume) |
///
/// Fields are separated by `,` (so paths cannot contain commas), lines end in `\n`, blank lines
/// are skipped, any other malformed line rejects the whole file (ret 7000), as bfs does. Unlike bfs
/// the file is replaced atomically (write temp, fsync, rename, fsync directory; see
/// `VolumeListFile`), so a crash leaves either the old or the new list, never a mix.
public struct VolumeListEntry: Equatable, Sendable {
    /// Path of the block file.
    public var blockPath: String
    /// Path of the index file.
    public var indexPath: String
    /// The volume id; `-1` for free volumes.
    public var id: Int32

    /// An entry for the given files and id.
    public init(blockPath: String, indexPath: String, id: Int32) {
        self.blockPath = blockPath
        self.indexPath = indexPath
        self.id = id
    }
}

/// Encoding and parsing of the volume list text.
public enum VolumeListFormat {
    /// The file text for `entries`, one line each, in the given order.
    public static func encode(_ entries: [VolumeListEntry]) -> String {
        entries.map { "\($0.blockPath),\($0.indexPath),\($0.id)\n" }.joined()
    }

    /// Whether `path` can be written into a list: no `,` and no line break, which `parse` would
    /// split on and then reject the whole file.
    public static func canHold(_ path: String) -> Bool {
        !path.unicodeScalars.contains { $0 == "," || $0 == "\n" || $0 == "\r" }
    }

    /// Parses a whole list file.
    public static func parse(_ text: String) throws(StorageError) -> [VolumeListEntry] {
        var out: [VolumeListEntry] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let trimmed = line.hasSuffix("\r") ? line.dropLast() : line[...]
            if trimmed.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            let fields = trimmed.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == 3, !fields[0].isEmpty, !fields[1].isEmpty,
                  let id = Int32(fields[2]) else { throw .badVolumeList(line: String(trimmed)) }
            out.append(VolumeListEntry(blockPath: String(fields[0]), indexPath: String(fields[1]), id: id))
        }
        return out
    }
}
