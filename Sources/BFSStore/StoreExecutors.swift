import BFSLoop

/// The store's blocking work, split by kind so one kind cannot starve another (DESIGN.md §3).
///
/// | Executor | Threads | Queue | Work |
/// |---|---|---|---|
/// | `writes` | 2 | 512 | deletes (they wait on a volume's append lock) |
/// | `reads` | 2 | 256 | cold reads: verified small reads and page-cache warming; needle probes |
/// | `stats` | 1 | 8 | `/info` and `/metrics` rendering (locks every volume) |
///
/// Uploads do not use an executor: the loop hands the encoded needle to the volume's append
/// thread (`Volume.submit`, bounded queue, 503 when full).
///
/// Admin work (fallocate, add volume, bulk loads, export reads, pulls) keeps libuv's
/// shared pool (`EventLoop.runBlocking`), which nothing else uses any more, so a 16 MiB export
/// read or a 32 GiB `fallocate` never delays an upload or a cold read. A full queue refuses at
/// once and the handler answers 503: a backlog past these bounds would only add latency. Pools
/// stay small: the machine has few cores and the work is mostly waiting on the disk.
public final class StoreExecutors: Sendable {
    /// Deletes.
    public let writes: BlockingExecutor
    /// Cold reads.
    public let reads: BlockingExecutor
    /// `/info` and `/metrics` rendering.
    public let stats: BlockingExecutor

    /// The executors with the sizes of the table above.
    public init() {
        writes = BlockingExecutor(name: "bfs-writes", threads: 2, queueLimit: 512)
        reads = BlockingExecutor(name: "bfs-reads", threads: 2, queueLimit: 256)
        stats = BlockingExecutor(name: "bfs-stats", threads: 1, queueLimit: 8)
    }

    /// Lets queued work finish and stops the threads (after the listeners stopped).
    public func shutdown() {
        for executor in [writes, reads, stats] { executor.shutdown() }
    }
}
