import Glibc

/// A fresh directory under /tmp for one test (`mkdtemp`, so parallel tests never collide).
/// `remove()` deletes it with everything inside; deinit does too, as a fallback. Keep the value
/// alive to the end of the test (`defer { dir.remove() }`, or `withTempDir`).
public final class TempDir: @unchecked Sendable {
    /// The directory's absolute path.
    public let path: String
    private var removed = false

    /// Creates `/tmp/bfs-<label>-XXXXXX`.
    public init(_ label: String = "test") {
        var template = Array("/tmp/bfs-\(label)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed: errno \(errno)")
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit { remove() }

    /// The path of `name` inside the directory.
    public func file(_ name: String) -> String { "\(path)/\(name)" }

    /// Deletes the directory tree (idempotent).
    public func remove() {
        guard !removed else { return }
        removed = true
        removeTree(path)
    }
}

/// Runs `body` with a fresh temp dir's path and removes the dir afterwards.
public func withTempDir<R>(_ label: String = "test", _ body: (String) throws -> R) rethrows -> R {
    let dir = TempDir(label)
    defer { dir.remove() }
    return try body(dir.path)
}

/// Removes `path` and, for a directory, everything below it (without following symlinks).
private func removeTree(_ path: String) {
    var info = stat()
    guard lstat(path, &info) == 0 else { return }
    if info.st_mode & S_IFMT == S_IFDIR, let d = opendir(path) {
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { removeTree(path + "/" + name) }
        }
        closedir(d)
        rmdir(path)
    } else {
        unlink(path)
    }
}
