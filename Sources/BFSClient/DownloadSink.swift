import BFSHTTP
import BFSLoop
import Crypto
import BFSProxy
import Glibc

/// Where `bfs get` puts a file's bytes.
public enum DownloadDestination: Equatable, Sendable {
    /// A file, written under a temporary name beside it and renamed only once complete.
    case file(String)
    /// Standard output, written as the bytes arrive.
    case standardOutput
}

/// Writes a download's body as it arrives, off the loop and with backpressure, and checks it.
///
/// The loop hands each piece to one writer thread (in order) and pauses reading the socket
/// while more than `highWater` bytes wait to be written, so a slow disk or a slow pipe slows
/// the proxy down instead of filling memory. A file goes to `.<name>.bfs-partial-<pid>` in the
/// same directory and is renamed to its name only after the whole body arrived, its length and
/// SHA-1 matched, and it was synced: an interrupted or corrupted download never leaves a file
/// under the final name.
final class DownloadSink: @unchecked Sendable {
    /// Queued bytes above which reading pauses, and below which it resumes.
    static let highWater = 4 << 20
    static let lowWater = 1 << 20

    private let destination: DownloadDestination
    private let fd: Int32
    private let temporaryPath: String?
    private let executor = BlockingExecutor(name: "bfs-get-write", threads: 1, queueLimit: 1 << 16)
    private let makeProgress: @Sendable (Int?) -> ProgressReporter?
    /// Set on the loop by `begin`, before the first write is queued (the queue orders the two).
    private var progress: ProgressReporter?

    // Writer thread only (read by `finish` after the executor has stopped).
    private var hasher = Insecure.SHA1()
    private var writeError: String?

    // Loop thread only.
    /// Body bytes received so far.
    private(set) var received = 0
    private var queued = 0
    private var paused = false
    private var failed = false
    /// The request, to pause and resume its reading.
    var task: HTTPClientTask?

    /// Opens the destination (a file's temporary name is created empty, exclusively).
    init(destination: DownloadDestination,
         makeProgress: @escaping @Sendable (Int?) -> ProgressReporter?) throws(ClientError)
    {
        self.destination = destination
        self.makeProgress = makeProgress
        switch destination {
        case .standardOutput:
            fd = 1
            temporaryPath = nil
        case .file(let path):
            let slash = path.lastIndex(of: "/")
            let directory = slash.map { String(path[...$0]) } ?? ""
            let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
            let temporary = "\(directory).\(name).bfs-partial-\(getpid())"
            let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw .localFile(path: temporary, reason: String(cString: strerror(errno))) }
            self.fd = fd
            temporaryPath = temporary
        }
    }

    // The executor is not joined here: the last reference may be dropped on its own thread.
    deinit { discard() }

    /// The answer's head arrived (loop thread): the body of `expectedLength` bytes follows.
    func begin(expectedLength: Int?) {
        progress = makeProgress(expectedLength)
    }

    /// Takes one piece of the body (loop thread): queues its write and pauses reading when the
    /// queue is full. Throws (ending the request) once a write has failed.
    func accept(_ bytes: UnsafeRawBufferPointer, on loop: EventLoop) throws(HTTPClientError) {
        guard !failed else { throw .cancelled }
        let piece = Array(bytes)
        received += piece.count
        queued += piece.count
        loop.run(on: executor, { [self] in try write(piece) }, then: { [self] result in
            queued -= piece.count
            if case .failure = result { failed = true }
            if paused && queued <= Self.lowWater {
                paused = false
                task?.resumeReading()
            }
        })
        if !paused && queued >= Self.highWater {
            paused = true
            task?.pauseReading()
        }
    }

    /// Writer thread: appends `piece` and hashes it; throws once a write has failed.
    private func write(_ piece: [UInt8]) throws(ClientError) {
        if let writeError { throw .localFile(path: describedPath, reason: writeError) }
        var done = 0
        while done < piece.count {
            let n = piece.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, piece.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let reason = String(cString: strerror(errno))
                writeError = reason
                throw .localFile(path: describedPath, reason: reason)
            }
            done += n
        }
        hasher.update(data: piece)
        progress?.advance(by: piece.count)
    }

    /// Waits for every queued write (from the calling thread, after the response completed),
    /// then checks the body and puts the file in place; on any failure removes the partial file.
    ///
    /// - Parameters:
    ///   - expectedLength: the response's `Content-Length`, if it had one.
    ///   - sha1: the hex SHA-1 the response's `ETag` names, if it is one.
    func finish(expectedLength: Int?, sha1: String?) throws(ClientError) {
        executor.shutdown()
        progress?.finish()
        if let writeError {
            discard()
            throw .localFile(path: describedPath, reason: writeError)
        }
        if let expectedLength, received != expectedLength {
            discard()
            throw .incomplete(received: received, expected: expectedLength)
        }
        if let sha1 {
            let actual = ContentName.hex(hasher.finalize())
            guard actual == sha1 else {
                discard()
                throw .checksumMismatch(expected: sha1, actual: actual)
            }
        }
        guard case .file(let path) = destination, let temporaryPath else { return }
        // Synced before the rename: after a crash the name holds the whole file or nothing.
        let synced = fsync(fd) == 0
        let reason = String(cString: strerror(errno))
        descriptorClosed = true  // the descriptor is closed below either way
        guard Glibc.close(fd) == 0, synced, rename(temporaryPath, path) == 0 else {
            unlink(temporaryPath)
            throw .localFile(path: path, reason: synced ? String(cString: strerror(errno)) : reason)
        }
    }

    private var descriptorClosed = false
    private var discarded = false

    /// The local write error that ended the download, if one did (waits for the writes in
    /// flight first; calling thread).
    func writeFailure() -> ClientError? {
        executor.shutdown()
        return writeError.map { .localFile(path: describedPath, reason: $0) }
    }

    /// Waits for the writes in flight, then removes the temporary file unless `finish` put it
    /// in place (calling thread; idempotent).
    func close() {
        executor.shutdown()
        discard()
    }

    /// Closes and removes the temporary file (idempotent; nothing for standard output).
    private func discard() {
        // End the bar's line, so an error message starts on a line of its own.
        progress?.finish()
        guard !discarded, !descriptorClosed, let temporaryPath else { return }
        discarded = true
        Glibc.close(fd)
        unlink(temporaryPath)
    }

    private var describedPath: String {
        if case .file(let path) = destination { return path }
        return "standard output"
    }
}
