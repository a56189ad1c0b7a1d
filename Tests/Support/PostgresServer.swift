import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A real PostgreSQL server on loopback for tests (Debian's `postgresql` package).
///
/// Each server has its own temp directory (data directory, Unix socket, log) and a reserved
/// loopback port (`PortReservation`; the server binds it with SO_REUSEADDR beside the hold).
/// `initdb` and the server refuse to run as root, so as root they run as the `postgres` user
/// through `runuser` (toolchain.md §7). `pg_ctl start -w -t 60` returns once the server accepts
/// connections (bounded). Missing binaries are a test failure naming the package to install,
/// never a silent pass. `fsync` is off unless asked for: tests need no durability across
/// power loss, measurements do.
public final class PostgresServer: Sendable {
    /// Why a server could not be started or a database not created.
    public struct StartError: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// The port on 127.0.0.1.
    public var port: Int { reservation.port }
    /// The directory holding data/, the socket and server.log.
    public var directory: String { temp.path }
    private let reservation: PortReservation
    private let temp: TempDir
    private let binaries: String
    private let running = Mutex(false)

    /// Starts a server in a new temp directory (`fsync` on only when `durable`).
    public static func start(durable: Bool = false) async throws -> PostgresServer {
        guard let binaries = findBinaries() else {
            throw StartError(description: "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin: "
                + "run `apt-get install postgresql` (or scripts/install-deps.sh)")
        }
        let server = PostgresServer(reservation: try PortReservation(), temp: TempDir("pg"), binaries: binaries)
        try await server.launch(durable: durable)
        return server
    }

    private init(reservation: PortReservation, temp: TempDir, binaries: String) {
        self.reservation = reservation
        self.temp = temp
        self.binaries = binaries
    }

    deinit {
        stop()
        temp.remove()
    }

    /// A libpq conninfo for `database` over TCP loopback.
    public func conninfo(database: String = "postgres") -> String {
        "host=127.0.0.1 port=\(port) dbname=\(database) user=postgres"
    }

    /// Creates a fresh database with a unique name and returns its name (one per test).
    public func createDatabase() async throws -> String {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let (status, output) = try await run("createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", name])
        guard status == 0 else { throw StartError(description: "createdb \(name) failed: \(output)") }
        return name
    }

    /// Stops the server (`pg_ctl stop -m fast`, which waits for it to exit).
    public func stop() {
        guard running.withLock({ state -> Bool in defer { state = false }; return state }) else { return }
        _ = try? runBlocking("pg_ctl", ["-D", directory + "/data", "-m", "fast", "-w", "-t", "60", "stop"])
    }

    private func launch(durable: Bool) async throws {
        if getuid() == 0 {
            // The postgres user must own its directory and be able to reach it.
            chmod(directory, 0o755)
            let (status, output) = try await run("/bin/chown", ["postgres:postgres", directory], direct: true)
            guard status == 0 else { throw StartError(description: "chown postgres \(directory): \(output)") }
        }
        let (initStatus, initOutput) = try await run("initdb", [
            "-D", directory + "/data", "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"])
        guard initStatus == 0 else { throw StartError(description: "initdb failed: \(initOutput)") }
        let options = "-c listen_addresses=127.0.0.1 -p \(port) -k \(directory) -c fsync=\(durable ? "on" : "off") "
            + "-c max_connections=200"
        let (status, output) = try await run("pg_ctl", [
            "-D", directory + "/data", "-l", directory + "/server.log", "-w", "-t", "60", "-o", options, "start"])
        guard status == 0 else {
            let log = (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
            throw StartError(description: "pg_ctl start on port \(port) failed: \(output)\nlog:\n\(log.suffix(2000))")
        }
        running.withLock { $0 = true }
    }

    /// Runs a PostgreSQL tool (as `postgres` when root) off the caller's thread.
    private func run(_ tool: String, _ arguments: [String], direct: Bool = false) async throws -> (Int32, String) {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try self.runBlocking(tool, arguments, direct: direct) })
            }
        }
    }

    /// Spawns with `posix_spawn` and `waitpid` rather than `Process`, whose exit monitoring
    /// was seen to miss the exit of `runuser` and wait forever. Output goes to a file, not a
    /// pipe: the server `pg_ctl start` leaves running would inherit a pipe, and reading it to
    /// its end would wait for the server to exit.
    private func runBlocking(_ tool: String, _ arguments: [String], direct: Bool = false) throws -> (Int32, String) {
        let executable = direct ? tool : "\(binaries)/\(tool)"
        // `env -C /`: the postgres user cannot enter a root-only working directory.
        var argv = ["/usr/bin/env", "-C", "/"]
        if getuid() == 0 && !direct { argv += ["/usr/sbin/runuser", "-u", "postgres", "--"] }
        argv += [executable] + arguments
        let outputPath = NSTemporaryDirectory() + "bfs-pg-tool-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup($0) } + [nil]
        defer { (cArguments + cEnvironment).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArguments, cEnvironment)
        guard spawned == 0 else { throw StartError(description: "spawn \(argv.joined(separator: " ")): errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // WEXITSTATUS is a macro: the exit code sits in bits 8-15 when the low 7 bits are 0.
        let code = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return (code, text)
    }

    /// The newest `/usr/lib/postgresql/<version>/bin` holding `initdb`, `pg_ctl` and `createdb`.
    private static func findBinaries() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.compactMap(Int.init).sorted(by: >).map { "\(root)/\($0)/bin" }.first { bin in
            ["initdb", "pg_ctl", "createdb"].allSatisfy { FileManager.default.isExecutableFile(atPath: "\(bin)/\($0)") }
        }
    }
}
