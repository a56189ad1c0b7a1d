import BFSTestSupport
import Foundation
import Glibc

/// A real `bfs store` process with its own config, data directory and free ports.
final class StoreProcess: @unchecked Sendable {
    let id: String
    let rack: String
    let dataDir: String
    let api: Int, admin: Int, stat: Int
    /// Held for the life of the object, so a restart finds its ports still free.
    private let reservations: [PortReservation]
    let configPath: String
    private(set) var process: BFSProcess?
    private var starts = 0

    /// Writes the config; `zookeeper` nil selects the embedded coordination backend.
    init(dir: TempDir, id: String = "store-1", rack: String = "rack-a", zookeeper: String?,
         root: String = "", extra: String = "") throws {
        self.id = id
        self.rack = rack
        dataDir = "\(dir.path)/\(id)"
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        reservations = try (0..<3).map { _ in try PortReservation() }
        api = reservations[0].port
        admin = reservations[1].port
        stat = reservations[2].port
        configPath = "\(dataDir)/store.toml"
        let coordination = zookeeper.map {
            "backend = \"zookeeper\"\nzookeeper_addrs = [\"\($0)\"]\nsession_timeout = \"4s\"\nroot = \"\(root)\""
        } ?? "backend = \"embedded\""
        let config = """
            [store]
            id = "\(id)"
            rack = "\(rack)"
            data_dir = "\(dataDir)"
            free_volume_size = "64MiB"
            \(extra)
            [http]
            api_listen = "127.0.0.1:\(api)"
            admin_listen = "127.0.0.1:\(admin)"
            stat_listen = "127.0.0.1:\(stat)"
            workers = 2
            [coordination]
            \(coordination)
            [scrub]
            rate = "0"
            """
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    var apiClient: TestHTTPEndpoint { TestHTTPEndpoint(port: api) }
    var adminClient: TestHTTPEndpoint { TestHTTPEndpoint(port: admin) }
    var statClient: TestHTTPEndpoint { TestHTTPEndpoint(port: stat) }

    /// Starts the binary and waits until `/info` answers.
    func start() throws {
        starts += 1
        let p = try BFSProcess(arguments: ["store", "-c", configPath, "--log-level", "info"],
                               logPath: "\(dataDir)/store-\(starts).log")
        process = p
        let up = waitUntil(seconds: 30, pollMilliseconds: 20) {
            guard p.process.isRunning else { return true }
            return (try? statClient.get("/info").status) == 200
        }
        guard up, p.process.isRunning else {
            throw BFSProcess.Missing(description: "bfs store did not start; log:\n\(p.log.suffix(3000))")
        }
    }

    /// Prepares `count` free volumes and turns the first into volume `vid` through the admin API.
    func provision(vid: Int32, freeVolumes: Int = 2) throws {
        let free = try adminClient.postForm("/add_free_volume", [("n", "\(freeVolumes)"), ("bdir", dataDir), ("idir", dataDir)])
        guard free.ret == 1 else { throw BFSProcess.Missing(description: "add_free_volume: \(free.text)") }
        let add = try adminClient.postForm("/add_volume", [("vid", "\(vid)")])
        guard add.ret == 1 else { throw BFSProcess.Missing(description: "add_volume: \(add.text)") }
    }

    func upload(vid: Int32, key: Int64, cookie: Int32, data: [UInt8]) throws -> TestHTTPResponse {
        try apiClient.postMultipart("/upload", fields: [("vid", "\(vid)"), ("key", "\(key)"), ("cookie", "\(cookie)")],
                                    files: [(name: "file", data: data)])
    }

    func get(vid: Int32, key: Int64, cookie: Int32) throws -> TestHTTPResponse {
        try apiClient.get("/get?vid=\(vid)&key=\(key)&cookie=\(cookie)")
    }

    /// SIGKILL: no drain, no sync beyond what was acknowledged.
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

/// Deterministic test payloads: `size` bytes from a seed.
func payload(seed: UInt64, size: Int) -> [UInt8] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<size).map { _ in
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return UInt8(truncatingIfNeeded: state)
    }
}
