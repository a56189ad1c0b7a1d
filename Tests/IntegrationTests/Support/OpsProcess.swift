import BFSTestSupport
import Foundation
import Glibc

/// A real `bfs ops` process with its own config and a free port, serving the repository's
/// `ops/` assets.
final class OpsProcess: @unchecked Sendable {
    let dir: String
    let port: Int
    let token: String
    let configPath: String
    private let reservation: PortReservation
    private(set) var process: BFSProcess?

    /// The repository's `ops/` folder (the UI assets), found from this file's path.
    static var assetsDir: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("ops").path
    }

    init(dir: TempDir, zookeeper: String, directoryPort: Int, token: String, passwordHash: String) throws {
        self.dir = "\(dir.path)/ops"
        try FileManager.default.createDirectory(atPath: self.dir, withIntermediateDirectories: true)
        reservation = try PortReservation()
        port = reservation.port
        self.token = token
        configPath = "\(self.dir)/ops.toml"
        let config = """
            [ops]
            cluster_token = "\(token)"
            admin_password_hash = "\(passwordHash)"
            assets_dir = "\(Self.assetsDir)"
            directory = "127.0.0.1:\(directoryPort)"
            job_poll_interval = "100ms"
            [http]
            listen = "127.0.0.1:\(port)"
            [coordination]
            zookeeper_addrs = ["\(zookeeper)"]
            session_timeout = "4s"
            """
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    var endpoint: TestHTTPEndpoint { TestHTTPEndpoint(port: port) }

    /// Starts the binary and waits until the UI answers.
    func start() throws {
        let p = try BFSProcess(arguments: ["ops", "-c", configPath, "--log-level", "info"], logPath: "\(dir)/ops.log")
        process = p
        let up = waitUntil(seconds: 60, pollMilliseconds: 20) {
            guard p.process.isRunning else { return true }
            return (try? endpoint.get("/").status) == 200
        }
        guard up, p.process.isRunning else {
            throw BFSProcess.Missing(description: "bfs ops did not start; log:\n\(p.log.suffix(3000))")
        }
    }

    /// A JSON API call with the cluster token.
    func call(_ method: String, _ target: String, _ body: Any? = nil) throws -> TestHTTPResponse {
        var headers = [("Authorization", "Bearer \(token)")]
        var bytes: [UInt8] = []
        if let body {
            headers.append(("Content-Type", "application/json"))
            bytes = Array(try JSONSerialization.data(withJSONObject: body))
        }
        return try endpoint.request(method, target, headers: headers, body: bytes)
    }

    /// Polls job `id` until it is no longer running; answers every state seen, in order.
    func follow(job id: String, seconds: Double = 120) throws -> [[String: Any]] {
        var seen: [[String: Any]] = []
        _ = try waitUntil(seconds: seconds, pollMilliseconds: 30) {
            let job = try call("GET", "/api/jobs/\(id)").json
            seen.append(job)
            return job["state"] as? String != "running"
        }
        return seen
    }

    var log: String { process?.log ?? "" }

    /// SIGTERM and wait for a clean exit.
    @discardableResult
    func terminate() -> Int32? {
        process?.signal(SIGTERM)
        return process?.wait(seconds: 30)
    }

    deinit { process?.stop() }
}

/// `bfs ops hash-password` with `password` on standard input; answers the printed hash.
func hashPassword(_ password: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try BFSProcess.binary())
    process.arguments = ["ops", "hash-password", "--rounds", "20000"]
    let input = Pipe(), output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    input.fileHandleForWriting.write(Data((password + "\n").utf8))
    try input.fileHandleForWriting.close()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw BFSProcess.Missing(description: "hash-password failed: \(text)") }
    return text.trimmingCharacters(in: .whitespacesAndNewlines)
}
