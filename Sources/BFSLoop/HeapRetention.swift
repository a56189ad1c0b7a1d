import CUV

/// How much freed heap glibc keeps for reuse instead of handing it back to the kernel.
///
/// glibc returns the free top of a heap to the kernel once it exceeds `M_TRIM_THRESHOLD`
/// (128 KiB by default): on a thread's own arena that is an `madvise(MADV_DONTNEED)`, a TLB
/// shootdown on every core, then a page fault for every page touched again. A thread that
/// allocates and frees the same working set over and over (the directory's metadata writer,
/// one transaction per batch) paid that on most batches: under `Bench/proxy` about one
/// `madvise` per PUT and a seventh of the directory's CPU in page faults. Keeping the freed top
/// costs at most the peak the process already reached.
public enum HeapRetention {
    /// Free bytes at the top of a heap kept before trimming (32 MiB).
    public static let trimThreshold: Int32 = 32 << 20

    /// Raises the process's trim threshold to `trimThreshold` (no-op off glibc); whether the
    /// allocator took it.
    @discardableResult
    public static func keepFreedMemory() -> Bool {
        cuv_set_heap_trim_threshold(trimThreshold) == 1
    }
}
