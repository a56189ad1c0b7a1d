import BFSHTTP
import BFSLoop
import BFSProxy
import Crypto
import Glibc

/// The body of a `bfs put`: a regular file read piece by piece off the loop (libuv's thread
/// pool), one piece ahead of the socket, so a large file never sits in memory.
final class FileBodySource: HTTPClientBodySource, @unchecked Sendable {
    /// Bytes per read: large enough for few thread hops, small enough to stay cheap.
    static let pieceSize = 256 * 1024

    let length: Int
    private let fd: Int32
    private let path: String
    /// Bytes handed out so far (loop thread only; one read is in flight at a time).
    private var offset = 0
    /// The upload's progress bar, if any (counted as pieces are read, one ahead of the socket).
    let progress: ProgressReporter?
    /// SHA-1 of the bytes read so far; updated off the loop by the one read in flight.
    private var hasher = Insecure.SHA1()

    /// Opens `path`, which must be a regular file; its size is the body's length.
    init(path: String, progress: (Int) -> ProgressReporter?) throws(ClientError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .localFile(path: path, reason: String(cString: strerror(errno))) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw .localFile(path: path, reason: "not a regular file")
        }
        self.fd = fd
        self.path = path
        length = Int(info.st_size)
        self.progress = progress(length)
    }

    deinit { close(fd) }

    func next(on loop: EventLoop, _ deliver: @escaping (Result<[UInt8], HTTPClientError>) -> Void) {
        let start = offset
        let count = min(Self.pieceSize, length - start)
        guard count > 0 else { return deliver(.success([])) }
        let fd = self.fd
        let path = self.path
        loop.runBlocking({ [self] in
            let bytes = try Self.read(fd: fd, path: path, at: start, count: count)
            hasher.update(data: bytes)
            return bytes
        }, then: { [self] result in
            switch result {
            case .success(let bytes):
                offset += bytes.count
                progress?.advance(by: bytes.count)
                deliver(.success(bytes))
            case .failure(let error):
                deliver(.failure(.bodySourceFailed("\(error)")))
            }
        })
    }

    /// The hex SHA-1 of the whole body; valid once the request has completed.
    var sha1: String { ContentName.hex(hasher.finalize()) }

    /// Up to `count` bytes at `offset`; fewer only at the end of the file (which then shrank
    /// under us, and the request fails on the length check).
    private static func read(fd: Int32, path: String, at offset: Int, count: Int) throws(ClientError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw .localFile(path: path, reason: String(cString: strerror(errno))) }
            if n == 0 { break }
            done += n
        }
        bytes.removeLast(count - done)
        return bytes
    }
}
