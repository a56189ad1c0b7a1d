/// Tunables of a volume.
public struct VolumeSettings: Sendable, Equatable {
    /// Largest needle data size accepted and recognised while scanning (bfs `NeedleMaxSize`).
    public var needleMaxSize: Int = 10 << 20
    /// Acknowledge appends and deletes only after `fdatasync` (DESIGN.md §4.2). `false` exists only
    /// to compare with bfs's behaviour in benchmarks.
    public var durableWrites = true
    /// Flusher threads whose `fdatasync` calls may overlap (see `Volume.startFlusher`); 1 gives a
    /// single classic group-commit flusher.
    public var syncLanes = 2
    /// Index hint records buffered before they are written (they are also written when the flusher
    /// goes idle, and at close).
    public var indexBatchRecords = 1024
    /// Bytes reserved (`fallocate` KEEP_SIZE) when a block is created; bfs always reserves 32 GiB.
    public var blockPreallocation: Int64 = 0
    /// Told the size of every group-commit batch after its `fdatasync` (for metrics).
    public var syncObserver: SyncObserver?

    /// Default settings (10 MiB needles, durable writes, no preallocation).
    public init() {}

    /// The largest total needle size, `align8(29 + needleMaxSize)`.
    public var maxNeedleTotalSize: Int { NeedleFormat.totalSize(dataSize: needleMaxSize) }
}

/// Receives the number of writes and deletes each `fdatasync` made durable (group-commit batch
/// size). Called on a flusher thread: keep it short and non-blocking.
public final class SyncObserver: Sendable, Equatable {
    let didSync: @Sendable (Int) -> Void

    /// An observer calling `didSync` with each batch size.
    public init(_ didSync: @escaping @Sendable (Int) -> Void) {
        self.didSync = didSync
    }

    public static func == (a: SyncObserver, b: SyncObserver) -> Bool { a === b }
}
