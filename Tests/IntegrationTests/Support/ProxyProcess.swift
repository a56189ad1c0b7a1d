import BFSTestSupport
import Foundation
import Glibc

/// A real `bfs proxy` process with its own config and a reserved port, in front of a directory.
final class ProxyProcess: @unchecked Sendable {
    let dir: String
    let port: Int
    let configPath: String
    private let reservation: PortReservation
    private(set) var process: BFSProcess?
    private var starts = 0

    /// Writes the config: the directory at `directory` (host:port) with its cluster `token`.
    /// `settings` adds lines to the `[proxy]` section, `sections` whole sections at the end
    /// (e.g. `[backend]` timeouts).
    init(dir: TempDir, name: String = "proxy", directory: String, token: String, settings: String = "",
         sections: String = "") throws {
        self.dir = "\(dir.path)/\(name)"
        try FileManager.default.createDirectory(atPath: self.dir, withIntermediateDirectories: true)
        reservation = try PortReservation()
        port = reservation.port
        configPath = "\(self.dir)/proxy.toml"
        let config = """
            [proxy]
            directory = "\(directory)"
            cluster_token = "\(token)"
            prefix = "/bfs/"
            domain = "http://127.0.0.1:\(port)"
            \(settings)
            [http]
            listen = "127.0.0.1:\(port)"
            workers = 2
            \(sections)
            """
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    var endpoint: TestHTTPEndpoint { TestHTTPEndpoint(port: port) }

    /// Starts the binary and waits until `/ping` answers 200.
    func start() throws {
        starts += 1
        let p = try BFSProcess(arguments: ["proxy", "-c", configPath, "--log-level", "info"],
                               logPath: "\(dir)/proxy-\(starts).log")
        process = p
        let up = waitUntil(seconds: 30, pollMilliseconds: 20) {
            guard p.process.isRunning else { return true }
            return (try? endpoint.get("/ping").status) == 200
        }
        guard up, p.process.isRunning else {
            throw BFSProcess.Missing(description: "bfs proxy did not start; log:\n\(p.log.suffix(3000))")
        }
    }

    /// The sum of the Prometheus series of `/metrics` whose line starts with `prefix` (0 when
    /// none does).
    func metric(_ prefix: String) throws -> Double {
        try endpoint.metric(prefix)
    }

    var log: String { process?.log ?? "" }

    /// SIGKILL: no drain; in-flight requests lose their connections.
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
