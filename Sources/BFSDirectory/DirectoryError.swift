import BFSCoordination
import BFSCore

/// Why a directory operation failed, named after the condition.
public enum DirectoryError: Error, Equatable, Sendable, RetConvertible {
    /// No group has every member live and `Health` with a volume that has room (bfs 30300).
    case noWritableGroup
    /// The clock reads earlier than the last key's millisecond; keys are refused until it
    /// catches up rather than risk repeating one.
    case clockMovedBackwards(lastMillisecond: Int64, nowMillisecond: Int64)
    /// All 4096 keys of the current millisecond are handed out; ask again next millisecond.
    case sequenceExhausted(millisecond: Int64)
    /// The clock is outside the 41-bit millisecond range after the key epoch.
    case clockOutOfRange(millisecond: Int64)
    /// No worker id is leased right now (not acquired yet, or the session was lost).
    case noWorkerLease
    /// All 1024 worker ids are held by live directories.
    case workerIDsExhausted
    /// A coordination call failed while leasing a worker id.
    case coordination(CoordinationError)
    /// The volume is unknown to the cluster, or one of its replicas names an unknown store (bfs 30400).
    case unknownVolume(VolumeID)
    /// No store holding the volume can serve reads right now (bfs 30300).
    case noReadableStore(VolumeID)

    /// Key failures are bfs's "id not available" (30200); placement is "no store" (30300).
    public var ret: Ret {
        switch self {
        case .noWritableGroup, .noReadableStore: .storeNotAvailable
        case .unknownVolume: .zookeeperDataError
        case .clockMovedBackwards, .sequenceExhausted, .clockOutOfRange, .noWorkerLease,
             .workerIDsExhausted, .coordination: .idNotAvailable
        }
    }
}
