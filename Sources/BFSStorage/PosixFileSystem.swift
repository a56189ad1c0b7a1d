#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The real file system: POSIX calls on Linux (`O_NOATIME` where permitted, `fdatasync`,
/// `fallocate(FALLOC_FL_KEEP_SIZE)`).
public struct PosixFileSystem: FileSystem {
    /// A file system over the process's view of the disks.
    public init() {}

    /// Opens `path` read-write (see `FileSystem.open`).
    public func open(_ path: String, create: Bool) throws(StorageError) -> StorageFile {
        var flags = O_RDWR | O_CLOEXEC
        if create { flags |= O_CREAT }
        #if os(Linux)
        // O_NOATIME avoids an inode write per read; it is refused (EPERM) on files we do not own.
        var fd = Glibc.open(path, flags | oNoAtime, 0o644)
        if fd < 0 && errno == EPERM { fd = Glibc.open(path, flags, 0o644) }
        #else
        let fd = Darwin.open(path, flags, 0o644)
        #endif
        guard fd >= 0 else { throw .io(operation: "open \(path)", errno: errno) }
        return PosixFile(descriptor: fd, path: path)
    }

    /// Whether `path` exists.
    public func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// `rename(2)`.
    public func rename(_ from: String, to: String) throws(StorageError) {
        guard Glibc.rename(from, to) == 0 else { throw .io(operation: "rename \(from)", errno: errno) }
    }

    /// `unlink(2)`.
    public func remove(_ path: String) throws(StorageError) {
        guard unlink(path) == 0 else { throw .io(operation: "unlink \(path)", errno: errno) }
    }

    /// `fsync` of the directory's descriptor.
    public func syncDirectory(_ directory: String) throws(StorageError) {
        let fd = Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(operation: "open dir \(directory)", errno: errno) }
        defer { Glibc.close(fd) }
        guard fsync(fd) == 0 else { throw .io(operation: "fsync dir \(directory)", errno: errno) }
    }

    /// `mkdir -p`.
    public func makeDirectory(_ directory: String) throws(StorageError) {
        if exists(directory) { return }
        let parent = directoryOf(directory)
        if parent != directory && parent != "." && parent != "/" { try makeDirectory(parent) }
        guard mkdir(directory, 0o755) == 0 || errno == EEXIST else {
            throw .io(operation: "mkdir \(directory)", errno: errno)
        }
    }
}

/// A descriptor opened by `PosixFileSystem`.
final class PosixFile: StorageFile, @unchecked Sendable {
    // Immutable after init; the descriptor is only closed by `close`, after its users are done.
    let descriptor: Int32
    let path: String

    init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(StorageError) -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "pread \(path)", errno: errno)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(StorageError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "pwrite \(path)", errno: errno)
            }
            done += n
        }
    }

    func write(gathering buffers: [UnsafeRawBufferPointer], at offset: Int64) throws(StorageError) {
        let total = buffers.reduce(0) { $0 + $1.count }
        var done = 0
        if buffers.count > 1 && buffers.count <= 1024 {
            let vectors = buffers.map { iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count) }
            while true {
                let n = vectors.withUnsafeBufferPointer { pwritev(descriptor, $0.baseAddress, Int32($0.count), off_t(offset)) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw .io(operation: "pwritev \(path)", errno: errno)
                }
                done = n
                break
            }
        }
        if done == total { return }
        // A short write (or a single buffer, or more than IOV_MAX, 1024): the rest one buffer at a time.
        var at = 0
        for b in buffers {
            let end = at + b.count
            if end > done {
                let skip = max(0, done - at)
                try write(UnsafeRawBufferPointer(rebasing: b[skip...]), at: offset + Int64(at + skip))
            }
            at = end
        }
    }

    func sync() throws(StorageError) {
        #if os(Linux)
        let rc = fdatasync(descriptor)
        #else
        let rc = fsync(descriptor)
        #endif
        guard rc == 0 else { throw .io(operation: "fdatasync \(path)", errno: errno) }
    }

    func size() throws(StorageError) -> Int64 {
        var st = stat()
        guard fstat(descriptor, &st) == 0 else { throw .io(operation: "fstat \(path)", errno: errno) }
        return Int64(st.st_size)
    }

    func truncate(to size: Int64) throws(StorageError) {
        guard ftruncate(descriptor, off_t(size)) == 0 else { throw .io(operation: "ftruncate \(path)", errno: errno) }
    }

    func preallocate(_ size: Int64) throws(StorageError) {
        guard size > 0 else { return }
        #if os(Linux)
        // FALLOC_FL_KEEP_SIZE (1): reserve blocks but keep st_size, so the append offset and
        // recovery see only written bytes. File systems without fallocate are not an error.
        if let fallocate = linuxFallocate, fallocate(descriptor, 1, 0, size) != 0 && errno != EOPNOTSUPP {
            throw .io(operation: "fallocate \(path)", errno: errno)
        }
        #endif
    }

    func close() {
        _ = Glibc.close(descriptor)
    }
}

#if os(Linux)
/// `O_NOATIME` (octal 01000000 on every Linux architecture); Glibc's module hides it without
/// `_GNU_SOURCE`.
private let oNoAtime: Int32 = 0o1_000_000

/// `fallocate(2)`, looked up at run time because Glibc's module hides it without `_GNU_SOURCE`.
private let linuxFallocate: (@convention(c) (Int32, Int32, Int64, Int64) -> Int32)? = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "fallocate") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32, Int64, Int64) -> Int32).self)
}()
#endif
