import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A real standalone ZooKeeper server on loopback for tests (Debian's `zookeeper` package).
///
/// Each server has its own temp data directory and a port it reserves for its whole life
/// (`PortReservation`, so a restart on the same port cannot lose it to another test).
/// It is started as `java ... QuorumPeerMain <cfg>` (toolchain.md §2) and is ready when `srvr`
/// answers `Mode: standalone`. Missing java or the jar is a test failure with an instruction,
/// never a silent pass. `stop()` sends SIGTERM to its pid and waits. The transaction log is not
/// fsynced (`forceSync=no`): tests need no durability across power loss, and a SIGTERM restart
/// still finds every write in the page cache.
public final class ZooKeeperServer: Sendable {
    /// Why a server could not be started.
    public struct StartError: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    static let jar = "/usr/share/java/zookeeper.jar"
    static let confDirectory = "/etc/zookeeper/conf"

    /// The client port on 127.0.0.1.
    public let port: Int
    private let reservation: PortReservation
    /// The directory holding zoo.cfg, data/ and zk.log.
    public let directory: String
    private let process = Mutex<Process?>(nil)

    /// "127.0.0.1:<port>", for `ZooKeeperCoordination(hosts:)`.
    public var hosts: String { "127.0.0.1:\(port)" }

    /// Starts a server in a new temp directory; `tickTime` 500 ms allows 1 s sessions.
    public static func start() async throws -> ZooKeeperServer {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("bfs-zk-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        let server = ZooKeeperServer(reservation: try PortReservation(), directory: directory)
        do {
            try await server.launch()
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        return server
    }

    private init(reservation: PortReservation, directory: String) {
        self.reservation = reservation
        port = reservation.port
        self.directory = directory
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Starts (again) on the same port and data directory; the sessions it knew survive.
    public func launch() async throws {
        guard let java = Self.findJava() else {
            throw StartError(description: "java not found: run `apt-get install zookeeper` (or scripts/install-deps.sh)")
        }
        guard FileManager.default.fileExists(atPath: Self.jar) else {
            throw StartError(description: "\(Self.jar) not found: run `apt-get install zookeeper` (or scripts/install-deps.sh)")
        }
        let config = """
            tickTime=500
            dataDir=\(directory)/data
            clientPort=\(port)
            clientPortAddress=127.0.0.1
            maxClientCnxns=0
            admin.enableServer=false
            4lw.commands.whitelist=srvr,ruok,stat
            forceSync=no
            """
        try config.write(toFile: directory + "/zoo.cfg", atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: directory + "/zk.log", contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/zk.log"))
        log.seekToEndOfFile()
        let child = Process()
        child.executableURL = URL(fileURLWithPath: java)
        child.arguments = ["-Xmx256m", "-cp", "\(Self.jar):\(Self.confDirectory)",
                           "org.apache.zookeeper.server.quorum.QuorumPeerMain", directory + "/zoo.cfg"]
        child.standardOutput = log
        child.standardError = log
        child.standardInput = FileHandle.nullDevice
        try child.run()
        process.withLock { $0 = child }
        try await waitUntilServing(child)
    }

    /// Sends SIGTERM and waits for the JVM to exit.
    public func stop() {
        guard let child = process.withLock({ p -> Process? in defer { p = nil }; return p }) else { return }
        if child.isRunning { kill(child.processIdentifier, SIGTERM) }
        child.waitUntilExit()
    }

    /// Polls `srvr` (not `ruok`, which answers before the server serves; toolchain.md §2).
    /// A JVM start takes about 0.3 s idle; the 60 s bound only matters on a starved machine.
    /// Deletes the data directory's contents (server stopped): the next `launch` starts an empty
    /// ensemble on the same port, where every old session is unknown, i.e. expired.
    public func wipeData() throws {
        let data = directory + "/data"
        try FileManager.default.removeItem(atPath: data)
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
    }

    private func waitUntilServing(_ child: Process) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        while clock.now < deadline {
            guard child.isRunning else { break }
            if Self.fourLetterWord("srvr", port: port)?.contains("Mode: standalone") == true { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        let log = (try? String(contentsOfFile: directory + "/zk.log", encoding: .utf8)) ?? ""
        stop()
        throw StartError(description: "ZooKeeper on port \(port) did not become ready; log:\n\(log.suffix(2000))")
    }

    /// Sends a four-letter word and reads the whole answer (nil if the port refuses).
    public static func fourLetterWord(_ word: String, port: Int) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        // A server still starting may accept and not answer: bound every wait.
        var limit = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        _ = word.withCString { send(fd, $0, strlen($0), 0) }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            answer += buffer[0..<count]
        }
        return String(decoding: answer, as: UTF8.self)
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    private static func findJava() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") + ["/usr/bin"] {
            let candidate = "\(directory)/java"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

