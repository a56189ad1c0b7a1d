import Glibc

extension DownloadDestination {
    /// Where `bfs get BUCKET/NAME [-o OUTPUT]` writes: `-` is standard output; an existing
    /// directory gets the name's last segment inside it; no output means that last segment in
    /// the current directory.
    public static func resolve(output: String?, path: ObjectPath) -> DownloadDestination {
        guard let output else { return .file(path.lastSegment) }
        if output == "-" { return .standardOutput }
        var info = stat()
        if stat(output, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            return .file(output.hasSuffix("/") ? output + path.lastSegment : output + "/" + path.lastSegment)
        }
        return .file(output)
    }
}

/// Standard input copied to a temporary file, so `bfs put - BUCKET/NAME` can announce a
/// `Content-Length` and stream like any other upload. The file is removed by `remove()`.
public struct StandardInputSpool: Sendable {
    /// The temporary file's path.
    public let path: String

    /// Copies standard input to a new file under `TMPDIR` (default `/tmp`).
    public init(environment: [String: String]) throws(ClientError) {
        var template = Array("\(environment["TMPDIR"] ?? "/tmp")/bfs-put-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard fd >= 0 else { throw .localFile(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else {
                let reason = String(cString: strerror(errno))
                unlink(path)
                throw .localFile(path: "standard input", reason: reason)
            }
            if n == 0 { break }
            var done = 0
            while done < n {
                let w = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + done, n - done) }
                if w < 0 && errno == EINTR { continue }
                guard w > 0 else {
                    let reason = String(cString: strerror(errno))
                    unlink(path)
                    throw .localFile(path: path, reason: reason)
                }
                done += w
            }
        }
        self.path = path
    }

    /// Deletes the temporary file.
    public func remove() { unlink(path) }
}

/// Whether standard error is a terminal (progress bars are drawn only there unless forced).
public func standardErrorIsTerminal() -> Bool { isatty(2) == 1 }
