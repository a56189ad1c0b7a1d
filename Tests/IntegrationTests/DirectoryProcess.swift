import BFSTestSupport
import Foundation
import Glibc

/// A real `bfs directory` process with its own config, SQLite file or PostgreSQL database, and
/// a free port.
final class DirectoryProcess: @unchecked Sendable {
    let dir: String
    let port: Int
    let token: String
    let configPath: String
    private let reservation: PortReservation
    private(set) var process: BFSProcess?

    /// Writes the config; `postgres` nil selects SQLite in the directory's own folder. `settings`
    /// adds lines to the `[directory]` section (e.g. a short `allocation_timeout`).
    init(dir: TempDir, name: String = "directory", zookeeper: String, postgres: String? = nil, token: String = "cluster-secret",
         settings: String = "") throws {
        self.dir = "\(dir.path)/\(name)"
        try FileManager.default.createDirectory(atPath: self.dir, withIntermediateDirectories: true)
        reservation = try PortReservation()
        port = reservation.port
        self.token = token
        configPath = "\(self.dir)/directory.toml"
        let metadata = postgres.map { "backend = \"postgres\"\npostgres_conninfo = \"\($0)\"" }
            ?? "backend = \"sqlite\"\nsqlite_path = \"\(self.dir)/metadata.db\""
        let config = """
            [directory]
            cluster_token = "\(token)"
            reaper_interval = "200ms"
            tombstone_retry = "200ms"
            \(settings)
            [metadata]
            \(metadata)
            [http]
            listen = "127.0.0.1:\(port)"
            workers = 2
            [coordination]
            zookeeper_addrs = ["\(zookeeper)"]
            session_timeout = "4s"
            [placement]
            minimum_free_space = "1MiB"
            """
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    var endpoint: TestHTTPEndpoint { TestHTTPEndpoint(port: port) }

    /// The sum of the Prometheus series of `/metrics` whose line starts with `prefix`.
    func metric(_ prefix: String) throws -> Double {
        try endpoint.metric(prefix)
    }

    /// The process's output so far, for failure messages.
    var log: String { process?.log ?? "" }

    /// Starts the binary and waits until `/ping` answers.
    func start() throws {
        let p = try BFSProcess(arguments: ["directory", "-c", configPath, "--log-level", "info"], logPath: "\(dir)/directory.log")
        process = p
        let up = waitUntil(seconds: 60, pollMilliseconds: 20) {
            guard p.process.isRunning else { return true }
            return (try? endpoint.get("/ping").status) == 200
        }
        guard up, p.process.isRunning else {
            throw BFSProcess.Missing(description: "bfs directory did not start; log:\n\(p.log.suffix(3000))")
        }
    }

    /// A token-carrying urlencoded POST.
    func post(_ target: String, _ fields: [(String, String)]) throws -> TestHTTPResponse {
        let body = fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        return try endpoint.request("POST", target, headers: [("Authorization", "Bearer \(token)"),
                                                              ("Content-Type", "application/x-www-form-urlencoded")],
                                    body: Array(body.utf8))
    }

    /// SIGKILL: no drain, no clean close of the metadata database.
    func crash() {
        process?.signal(SIGKILL)
        process?.wait(seconds: 10)
    }

    /// SIGTERM and wait for a clean exit.
    @discardableResult
    func terminate() -> Int32? {
        process?.signal(SIGTERM)
        return process?.wait(seconds: 30)
    }

    deinit { process?.stop() }
}

/// Runs `bfs <arguments>` to completion (bounded) and returns its exit status and output.
func runBFS(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try BFSProcess.binary())
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    _ = waitUntil(seconds: 30, pollMilliseconds: 10) { !process.isRunning }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}
