import BFSCore

/// Every failure of the storage engine, named after its condition; each maps once to a bfs `ret`.
public enum StorageError: Error, Equatable, Sendable, RetConvertible {
    /// The block file does not start with the super block magic `AB CD EF 00`.
    case badSuperBlockMagic
    /// The super block carries a version this code does not know.
    case unsupportedVersion(UInt8)
    /// The append would move the volume past the last addressable 8-byte unit.
    case volumeFull
    /// No needle with this key exists in the volume.
    case needleNotFound
    /// The needle exists but is flagged deleted.
    case needleDeleted
    /// The 4 bytes at the needle's start are not `12 34 56 78`.
    case badHeaderMagic(offset: Int64)
    /// The 4 bytes after the data are not `87 65 43 21`.
    case badFooterMagic(offset: Int64)
    /// The flag byte is neither 0 (live) nor 1 (deleted).
    case badFlag(UInt8)
    /// The size field is negative, larger than the needle maximum, or disagrees with the map.
    case badSize(Int64)
    /// The key in the needle header is not the key looked up (stale map entry or damage).
    case keyMismatch(expected: Int64, actual: Int64)
    /// The caller's cookie does not match the needle's.
    case cookieMismatch
    /// The data does not hash to the stored CRC-32/Koopman.
    case checksumMismatch(expected: UInt32, actual: UInt32)
    /// A padding byte after the footer is not zero.
    case badPadding
    /// The data is larger than the configured needle maximum.
    case needleTooLarge(size: Int)
    /// A file ended inside a record that should have been whole.
    case truncated(offset: Int64)
    /// A volume list line is not `block,index,vid`.
    case badVolumeList(line: String)
    /// No free volume is left to turn into an active one.
    case noFreeVolume
    /// A file the operation would create already exists.
    case fileExists(path: String)
    /// A volume with this id is already loaded.
    case volumeExists
    /// No volume with this id is loaded.
    case volumeNotFound
    /// The volume has been closed.
    case volumeClosed
    /// The volume stopped accepting writes after an earlier I/O failure (a failed sync leaves the
    /// page cache untrustworthy, so it is never retried blindly).
    case volumeFailed
    /// The volume is being compacted and cannot start another compaction.
    case compacting
    /// A batch is empty or too large.
    case badBatch
    /// A system call failed.
    case io(operation: String, errno: Int32)
    /// A path names a place outside the store's data directories (or is relative, or a dangling
    /// symlink); admin parameters and coordination records may not reach elsewhere.
    case pathNotAllowed(path: String)
    /// A path names a file the store already owns (an open or listed volume's, a list file).
    case fileInUse(path: String)
    /// A path holds a character the volume lists cannot store (`,`, a line break).
    case pathNotListable(path: String)
    /// `addFreeVolumes` made `created` volumes (listed) before `cause` stopped it.
    indirect case freeVolumesPartlyCreated(created: Int, cause: StorageError)

    /// The bfs `ret` code (reference/bfs-v1.md §1.10) this error answers as.
    public var ret: Ret {
        switch self {
        case .badSuperBlockMagic: .superBlockMagic
        case .unsupportedVersion: .superBlockVersion
        case .volumeFull: .superBlockNoSpace
        case .needleNotFound: .needleNotExist
        case .needleDeleted: .needleDeleted
        case .badHeaderMagic: .needleHeaderMagic
        case .badFooterMagic: .needleFooterMagic
        case .badFlag: .needleFlag
        case .badSize: .needleSize
        case .keyMismatch: .needleKey
        case .cookieMismatch: .needleCookie
        case .checksumMismatch: .needleChecksum
        case .badPadding: .needlePadding
        case .needleTooLarge: .needleTooLarge
        case .truncated: .needleDataSize
        case .badVolumeList: .storeVolumeIndex
        case .noFreeVolume: .storeNoFreeVolume
        case .fileExists: .storeFileExist
        case .volumeExists: .volumeExist
        case .volumeNotFound: .volumeNotExist
        case .volumeClosed: .volumeClosed
        case .volumeFailed: .internalError
        case .compacting: .volumeInCompact
        case .badBatch: .volumeBatch
        case .io: .internalError
        case .pathNotAllowed: .paramError
        case .fileInUse: .storeFileExist
        case .pathNotListable: .paramError
        case .freeVolumesPartlyCreated(_, let cause): cause.ret
        }
    }
}
