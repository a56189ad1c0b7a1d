import BFSTestSupport
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

    /// Starts `bfs arguments`, its output in `logPath`.
    ///
    /// - Parameters:
    ///   - environment: variables set on top of the test's own environment.
    ///   - errorPath: where standard error goes, when not into the log with standard output.
    ///   - inputPath: a file to read as standard input (default: the test's own).
    init(arguments: [String], logPath: String, environment: [String: String] = [:], errorPath: String? = nil,
         inputPath: String? = nil) throws
    {
        self.logPath = logPath
        process.executableURL = URL(fileURLWithPath: try BFSProcess.binary())
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        if let errorPath {
            _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        } else {
            process.standardError = log
        }
        if let inputPath { process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: inputPath)) }
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
        _ = waitUntil(seconds: seconds, pollMilliseconds: 10) { !process.isRunning }
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
