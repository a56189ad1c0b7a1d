import Glibc

/// The cluster token of `bfs up`: generated on the first start and kept in `<dataDir>/cluster.token`
/// (mode 0600) so later starts, and the operator, use the same one (DESIGN.md §11).
///
/// File format: the token, 32 lowercase hex digits (128 random bits), then a newline; readers
/// trim surrounding white space.
public enum ClusterTokenFile {
    /// Why the token could not be read or created.
    public struct Failure: Error, CustomStringConvertible {
        /// What failed, with the path and errno.
        public let description: String
    }

    /// The file name inside the data directory.
    public static let name = "cluster.token"

    /// The token in `directory`, created (with the directory) when missing.
    public static func loadOrCreate(in directory: String) throws(Failure) -> String {
        let path = directory + "/" + name
        if let existing = try read(path) { return existing }
        try makeDirectories(directory)
        var generator = SystemRandomNumberGenerator()
        let token = (0..<2).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        // Another process created it between our read and open: use theirs.
        if fd < 0, errno == EEXIST, let existing = try read(path) { return existing }
        guard fd >= 0 else { throw Failure(description: "create \(path): errno \(errno)") }
        defer { close(fd) }
        let line = Array((token + "\n").utf8)
        guard write(fd, line, line.count) == line.count, fsync(fd) == 0 else {
            throw Failure(description: "write \(path): errno \(errno)")
        }
        return token
    }

    /// Creates `directory` and its missing parents (as the store would for its data directory).
    static func makeDirectories(_ directory: String) throws(Failure) {
        var path = directory.hasPrefix("/") ? "" : "."
        for part in directory.split(separator: "/") {
            path += "/" + part
            if mkdir(path, 0o755) != 0, errno != EEXIST { throw Failure(description: "mkdir \(path): errno \(errno)") }
        }
    }

    /// The token in `path`, or nil when the file does not exist.
    static func read(_ path: String) throws(Failure) -> String? {
        let fd = open(path, O_RDONLY)
        if fd < 0, errno == ENOENT { return nil }
        guard fd >= 0 else { throw Failure(description: "open \(path): errno \(errno)") }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 4096)
        let n = Glibc.read(fd, &bytes, bytes.count)
        guard n >= 0 else { throw Failure(description: "read \(path): errno \(errno)") }
        let token = String(decoding: bytes[0..<n], as: UTF8.self).trimmingWhitespace
        guard !token.isEmpty, token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw Failure(description: "\(path) does not hold a token (printable ASCII without spaces)")
        }
        return token
    }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
