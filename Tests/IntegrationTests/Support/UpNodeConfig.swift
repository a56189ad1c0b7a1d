import BFSTestSupport
import Foundation

/// A `bfs up` config in a temp dir: data under `dir/data`, every listener on a reserved port
/// (none of the fixed defaults), small volumes.
struct UpNodeConfig {
    /// The listeners' reservations, held for the life of the config.
    let ports: [PortReservation]
    /// The config file to pass as `-c`.
    let path: String
    /// The node's data directory.
    let dataDir: String

    var apiPort: Int { ports[0].port }
    var adminPort: Int { ports[1].port }
    var statPort: Int { ports[2].port }
    var pitchforkPort: Int { ports[3].port }
    var directoryPort: Int { ports[4].port }
    var proxyPort: Int { ports[5].port }
    var opsPort: Int { ports[6].port }

    init(in dir: TempDir, volumeSize: String = "4MiB", volumes: Int = 1) throws {
        ports = try (0..<7).map { _ in try PortReservation() }
        path = dir.file("up.toml")
        dataDir = dir.file("data")
        try """
            [up]
            data_dir = "\(dataDir)"
            api_port = \(ports[0].port)
            admin_port = \(ports[1].port)
            stat_port = \(ports[2].port)
            pitchfork_port = \(ports[3].port)
            directory_port = \(ports[4].port)
            proxy_port = \(ports[5].port)
            ops_port = \(ports[6].port)
            volume_size = "\(volumeSize)"
            volumes = \(volumes)
            """.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
