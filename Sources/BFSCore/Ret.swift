/// The numeric `ret` codes of bfs replies (reference/bfs-v1.md §1.10), kept wire-compatible.
///
/// Each module has its own error enum named after conditions; each of those maps to one of
/// these codes exactly once, where the error is declared.
public enum Ret: Int, Sendable, CaseIterable {
    case ok = 1
    // proxy
    case urlBad = 400
    case authFailed = 401
    case bucketNotExist = 404
    case fileTooLarge = 413
    case uploadMaxFile = 2000
    case delMaxFile = 2001
    /// Not in bfs: a `/commit` or `/del` whose `expect_key` / `expect_absent` did not hold
    /// (nothing changed); the proxy answers HTTP 412.
    case preconditionFailed = 412
    // super block
    case superBlockMagic = 3000
    case superBlockVersion = 3001
    case superBlockPadding = 3002
    case superBlockNoSpace = 3003
    case superBlockRepairSize = 3004
    case superBlockClosed = 3005
    case superBlockOffset = 3006
    // index
    case indexSize = 4000
    case indexClosed = 4001
    case indexOffset = 4002
    case indexEOF = 4003
    // needle
    case needleExist = 5000
    case needleNotExist = 5001
    case needleChecksum = 5002
    case needleFlag = 5003
    case needleSize = 5004
    case needleHeaderMagic = 5005
    case needleFooterMagic = 5006
    case needleKey = 5007
    case needlePadding = 5008
    case needleCookie = 5009
    case needleDeleted = 5010
    case needleTooLarge = 5011
    case needleHeaderSize = 5012
    case needleDataSize = 5013
    case needleFooterSize = 5014
    case needlePaddingSize = 5015
    case needleFull = 5016
    // index ring (kept for compatibility; bfs-swift has no ring)
    case ringEmpty = 6000
    case ringFull = 6001
    // store
    case storeVolumeIndex = 7000
    case storeNoFreeVolume = 7001
    case storeFileExist = 7002
    // volume
    case volumeExist = 8000
    case volumeNotExist = 8001
    case volumeDel = 8002
    case volumeInCompact = 8003
    case volumeClosed = 8004
    case volumeBatch = 8005
    // directory
    case hbase = 30100
    case idNotAvailable = 30200
    case storeNotAvailable = 30300
    case zookeeperDataError = 30400
    // generic
    case serviceUnavailable = 65533
    case paramError = 65534
    case internalError = 65535
}

/// An error that knows which bfs `ret` code it answers as.
public protocol RetConvertible: Error {
    /// The bfs `ret` code for this error.
    var ret: Ret { get }
}
