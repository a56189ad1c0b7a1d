import BFSTestSupport
import Foundation
import Glibc

/// A real `bfs pitchfork` process with its own config and stat port, on short test intervals.
final class PitchforkProcess: @unchecked Sendable {
    let name: String
    let stat: Int
    let configPath: String
    private let reservation: PortReservation
    private let logDir: String
    private(set) var process: BFSProcess?

    init(dir: TempDir, name: String, zookeeper: String, storeCheck: String = "200ms", needleCheck: String = "1s",
         goodChecks: Int = 3, sessionTimeout: String = "3s", liveCheck: String = "auto") throws {
        self.name = name
        reservation = try PortReservation()
        stat = reservation.port
        logDir = "\(dir.path)/\(name)"
        try FileManager.default.createDirectory(atPath: logDir, withIntermediateDirectories: true)
        configPath = "\(logDir)/pitchfork.toml"
        let config = """
            [pitchfork]
            store_check_interval = "\(storeCheck)"
            needle_check_interval = "\(needleCheck)"
            probe_timeout = "1s"
            good_checks_to_recover = \(goodChecks)
            live_check = "\(liveCheck)"
            [http]
            stat_listen = "127.0.0.1:\(stat)"
            [coordination]
            zookeeper_addrs = ["\(zookeeper)"]
            session_timeout = "\(sessionTimeout)"
            """
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    var statClient: TestHTTPEndpoint { TestHTTPEndpoint(port: stat) }

    /// Starts the binary and waits until it has joined (`/stores` names its node).
    func start() throws {
        let p = try BFSProcess(arguments: ["pitchfork", "-c", configPath, "--log-level", "info"], logPath: "\(logDir)/pitchfork.log")
        process = p
        let up = waitUntil(seconds: 30, pollMilliseconds: 20) {
            guard p.process.isRunning else { return true }
            return (try? self.owned())?.node.isEmpty == false
        }
        guard up, p.process.isRunning else {
            throw BFSProcess.Missing(description: "bfs pitchfork did not start; log:\n\(p.log.suffix(3000))")
        }
    }

    /// The `/stores` answer: this pitchfork's node name and the stores it probes with their status.
    func owned() throws -> (node: String, stores: [String: UInt32]) {
        let json = try statClient.get("/stores").json
        let stores = (json["stores"] as? [[String: Any]] ?? []).reduce(into: [String: UInt32]()) { out, entry in
            if let id = entry["id"] as? String, let status = entry["status"] as? NSNumber { out[id] = status.uint32Value }
        }
        return (json["id"] as? String ?? "", stores)
    }

    /// The sum of a Prometheus counter's series whose line starts with `prefix`.
    func metric(_ prefix: String) throws -> Double {
        try statClient.metric(prefix)
    }

    var log: String { process?.log ?? "" }

    /// SIGKILL: the pitchfork's node stays until its session expires.
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
