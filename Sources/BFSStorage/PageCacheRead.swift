import Glibc

/// Reads file bytes only if they are in the page cache, so a loop thread can hand cold reads to
/// a worker instead of stalling every other connection (DESIGN.md §4.5).
///
/// The probe is `preadv2(..., RWF_NOWAIT)` (Linux ≥ 4.14): it copies what is cached and fails
/// with `EAGAIN` (or returns short) where a disk read would be needed. Swift's Glibc module does
/// not import `preadv2` (it sits behind `_GNU_SOURCE`), so the symbol is looked up once from the
/// C library at run time. When it is missing, or the file system refuses the flag
/// (`EOPNOTSUPP`), probing reports `.unknown` and callers treat the bytes as cached.
public enum PageCacheRead {
    /// Outcome of a non-waiting read.
    public enum Probe: Equatable, Sendable {
        /// Every requested byte was cached and copied.
        case hit
        /// At least one byte would have needed the disk.
        case miss
        /// Probing is not possible here.
        case unknown
    }

    private typealias PreadV2 = @convention(c) (Int32, UnsafePointer<iovec>?, Int32, off_t, Int32) -> Int

    /// `RWF_NOWAIT` from `<linux/fs.h>` (stable kernel ABI).
    private static let rwfNoWait: Int32 = 0x0000_0008

    private static let preadv2: PreadV2? = {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "preadv2") else { return nil }
        return unsafeBitCast(symbol, to: PreadV2.self)
    }()

    /// Whether the running system has the probe at all.
    public static var isAvailable: Bool { preadv2 != nil }

    /// Reads `buffer.count` bytes of `file` at `offset` only if all of them are cached; a file
    /// that probes itself (`CacheProbingFile`) is asked, others are probed by descriptor.
    public static func read(_ file: StorageFile, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) -> Probe {
        if let probing = file as? CacheProbingFile { return probing.readIfCached(into: buffer, at: offset) }
        return read(fd: file.descriptor, into: buffer, at: offset)
    }

    /// Reads `buffer.count` bytes of descriptor `fd` at `offset` only if all of them are cached.
    public static func read(fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) -> Probe {
        guard let preadv2, fd >= 0 else { return .unknown }
        var done = 0
        while done < buffer.count {
            var iov = iovec(iov_base: buffer.baseAddress! + done, iov_len: buffer.count - done)
            let n = preadv2(fd, &iov, 1, off_t(offset + Int64(done)), rwfNoWait)
            if n > 0 {
                done += n
                continue
            }
            if n == 0 { return .miss }  // end of file: the caller's length is wrong, let the slow path report it
            switch errno {
            case EINTR: continue
            case EAGAIN: return .miss
            default: return .unknown  // EOPNOTSUPP and friends: no probe on this file
            }
        }
        return .hit
    }
}

/// A `StorageFile` that answers page-cache probes itself instead of by descriptor (file-system
/// seams in tests simulate a cold cache with it).
public protocol CacheProbingFile: StorageFile {
    /// Reads `buffer.count` bytes at `offset` only if no disk access is needed.
    func readIfCached(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) -> PageCacheRead.Probe
}
