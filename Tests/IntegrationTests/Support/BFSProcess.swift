import Foundation
import Glibc

/// A real `bfs` process started by a test: the binary named by `BFS_BINARY` (set by
/// scripts/test.sh to the release build), or `.build/debug/bfs` next to the test bundle.
final class BFSProcess {
    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    let process = Process()
    let logPath: String

    /// Where the bfs binary is, or an instruction when it has not been built.
    static func binary() throws -> String {
        if let p = ProcessInfo.processInfo.environment["BFS_BINARY"], FileManager.default.isExecutableFile(atPath: p) {
            return p
        }
        // The test bundle lives in .build/<config>/; the binary is built next to it.
        let bundleDir = Bundle.main.bundleURL.deletingLastPathComponent().path
        for candidate in ["\(bundleDir)/bfs", "\(FileManager.default.currentDirectoryPath)/.build/debug/bfs"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        throw Missing(description: "the bfs binary is not built: run `swift build` (or bash scripts/test.sh), or set BFS_BINARY")
    }

    init(arguments: [String], logPath: String) throws {
        self.logPath = logPath
        process.executableURL = URL(fileURLWithPath: try BFSProcess.binary())
        process.arguments = arguments
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    /// The process's output so far, for failure messages.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Sends a signal (SIGKILL for crash tests, SIGTERM for drain tests).
    func signal(_ sig: Int32) { kill(pid, sig) }

    /// Waits for exit up to `seconds`; returns the exit status or nil on time-out.
    @discardableResult
    func wait(seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// Kills the process if it still runs (end of a test).
    func stop() {
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

/// Polls `check` every 20 ms until it returns true or `seconds` pass.
func eventually(seconds: Double = 10, _ check: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    repeat {
        if try check() { return true }
        usleep(20_000)
    } while Date() < deadline
    return false
}

/// A fresh temp directory removed when the returned object goes away.
final class TempDir {
    let path: String
    init(_ prefix: String = "bfs-it") {
        path = NSTemporaryDirectory() + "\(prefix)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        chmod(path, 0o755)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}
