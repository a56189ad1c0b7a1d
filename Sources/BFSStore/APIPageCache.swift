import BFSStorage
import Glibc

/// Page-cache checks of the `/get` path on top of `PageCacheRead` (DESIGN.md §4.5): a sampled
/// probe for large needles, and the warming read a worker runs on a miss.
enum APIPageCache {
    typealias Probe = PageCacheRead.Probe

    /// Whether the running system has the probe at all (tests skip the cold-read check otherwise).
    static var isAvailable: Bool { PageCacheRead.isAvailable }

    /// Reads `buffer.count` bytes at `offset` only if all of them are cached.
    static func readIfCached(fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) -> Probe {
        PageCacheRead.read(fd: fd, into: buffer, at: offset)
    }

    /// Whether the pages of `[offset, offset + length)` look cached, sampling one byte per
    /// `stride` bytes plus the last byte (pages of one needle are read ahead together, so a
    /// sample is a good proxy and costs a handful of syscalls for the largest needle). Samples
    /// below `cachedBelow` (bytes the caller has just read, such as the needle header's page)
    /// are known to be cached and are not probed.
    static func looksCached(fd: Int32, offset: Int64, length: Int, stride: Int = 1 << 20, cachedBelow: Int64 = 0) -> Probe {
        guard length > 0 else { return .hit }
        var byte: UInt8 = 0
        var at = 0
        while true {
            if offset + Int64(at) >= cachedBelow {
                let result = withUnsafeMutableBytes(of: &byte) { readIfCached(fd: fd, into: $0, at: offset + Int64(at)) }
                if result != .hit { return result }
            }
            if at == length - 1 { return .hit }
            at = min(at + stride, length - 1)
        }
    }

    /// The end of the page holding byte `offset` (everything before it on that page was read
    /// together with it).
    static func endOfPage(holding offset: Int64) -> Int64 { (offset / pageSize + 1) * pageSize }

    private static let pageSize = Int64(sysconf(Int32(_SC_PAGESIZE)))

    /// Pulls `[offset, offset + length)` into the page cache with plain reads. Blocks on the
    /// disk: worker threads only.
    static func warm(fd: Int32, offset: Int64, length: Int) {
        let chunk = min(length, 1 << 20)
        guard chunk > 0 else { return }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var done = 0
        while done < length {
            let n = pread(fd, buffer.baseAddress, min(chunk, length - done), off_t(offset + Int64(done)))
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return }  // the send reports the error, if any
            done += n
        }
    }
}
