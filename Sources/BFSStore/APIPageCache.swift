import Glibc

/// Tells whether file bytes are in the page cache without waiting for the disk, so a loop thread
/// can hand cold reads to a worker instead of stalling every other connection (DESIGN.md §4.5).
///
/// The probe is `preadv2(..., RWF_NOWAIT)` (Linux ≥ 4.14): it copies what is cached and fails
/// with `EAGAIN` (or returns short) where a disk read would be needed. Swift's Glibc module does
/// not import `preadv2` (it sits behind `_GNU_SOURCE`), so the symbol is looked up once from the
/// C library at run time. When it is missing, or the file system refuses the flag
/// (`EOPNOTSUPP`), probing reports `.unknown` and callers treat the bytes as cached (the old
/// behaviour: `sendfile` on the loop).
enum APIPageCache {
    /// Outcome of a non-waiting read.
    enum Probe: Equatable {
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

    /// Whether the running system has the probe at all (tests skip the cold-read check otherwise).
    static var isAvailable: Bool { preadv2 != nil }

    /// Reads `buffer.count` bytes at `offset` only if all of them are cached.
    static func readIfCached(fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) -> Probe {
        guard let preadv2 else { return .unknown }
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

    /// Whether the pages of `[offset, offset + length)` look cached, sampling one byte per
    /// `stride` bytes plus the last byte (pages of one needle are read ahead together, so a
    /// sample is a good proxy and costs a handful of syscalls for the largest needle).
    static func looksCached(fd: Int32, offset: Int64, length: Int, stride: Int = 1 << 20) -> Probe {
        guard length > 0 else { return .hit }
        var byte: UInt8 = 0
        var at = 0
        while true {
            let result = withUnsafeMutableBytes(of: &byte) { readIfCached(fd: fd, into: $0, at: offset + Int64(at)) }
            if result != .hit { return result }
            if at == length - 1 { return .hit }
            at = min(at + stride, length - 1)
        }
    }

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
