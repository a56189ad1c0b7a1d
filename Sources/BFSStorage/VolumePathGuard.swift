#if canImport(Glibc)
import Glibc
#endif

/// Which paths an admin request or a coordination record may make the store open or create
/// (DESIGN.md §11): only inside the configured data directories (symlinks resolved, so a link
/// out of them does not count as inside), and never a file the store already owns, compared by
/// device and inode so another name for the same file is caught too.
struct VolumePathGuard: Sendable {
    /// Canonical data directories; nil allows any path (offline tools, tests of other rules).
    let directories: [String]?

    /// A guard confining paths to `directories` (nil: no confinement).
    init(directories: [String]?) {
        self.directories = directories.map { $0.map { Self.canonical($0) ?? $0 } }
    }

    /// `path` in canonical form when it lies inside a data directory; `pathNotAllowed` otherwise.
    /// A path that does not exist yet is judged by its nearest existing ancestor.
    func confine(_ path: String) throws(StorageError) -> String {
        guard let canonical = Self.canonical(path) else { throw .pathNotAllowed(path: path) }
        guard let directories else { return canonical }
        let inside = directories.contains { dir in
            canonical == dir || canonical.hasPrefix(dir == "/" ? "/" : dir + "/")
        }
        guard inside else { throw .pathNotAllowed(path: path) }
        return canonical
    }

    /// The absolute, symlink-free form of `path`; nil for a relative path, a dangling symlink,
    /// or `.`/`..` in a part that does not exist yet.
    static func canonical(_ path: String) -> String? {
        guard path.hasPrefix("/") else { return nil }
        var trimmed = path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        var st = stat()
        if lstat(trimmed, &st) == 0 {
            guard let resolved = realpath(trimmed, nil) else { return nil }
            defer { free(resolved) }
            return String(cString: resolved)
        }
        let name = String(trimmed[trimmed.index(after: trimmed.lastIndex(of: "/")!)...])
        guard !name.isEmpty, name != ".", name != "..", let parent = canonical(directoryOf(trimmed)) else { return nil }
        return parent == "/" ? "/" + name : parent + "/" + name
    }

    /// Device and inode of `path` (following symlinks), if it exists.
    static func fileID(_ path: String) -> FileID? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return FileID(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }

    /// A file's identity on this machine, whatever name reaches it.
    struct FileID: Hashable, Sendable {
        var device: UInt64
        var inode: UInt64
    }
}
