import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A real nginx on loopback for tests (Debian's `nginx` package, `/usr/sbin/nginx`): the
/// Tengine/CDN role in front of the proxy, or a plain file server as a baseline.
///
/// Each server has its own temp prefix (config, pid file, error and access logs, temp and cache
/// directories) and a port it reserves for its whole life (`PortReservation`; nginx binds with
/// SO_REUSEADDR beside the hold). nginx runs in the foreground (`daemon off`) with a master and
/// one worker, so `stop()` can SIGTERM the master and reap it; the master takes its worker
/// down. As root the worker runs as root too (`user root`): the temp prefix is private to the
/// test user, and `nobody` could not write the cache there. Missing nginx is a test failure
/// with an install instruction, never a silent pass.
///
/// Every server also answers `GET /nginx-ready` with 204 by itself, which is how `start` knows
/// it is serving without touching the upstream.
public final class NginxServer: Sendable {
    /// Why a server could not be started.
    public struct StartError: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// What the server does with requests.
    public enum Role: Sendable {
        /// Serves the files under a document root (sendfile, `open_file_cache`).
        case files(root: String)
        /// A caching reverse proxy in front of `127.0.0.1:<upstreamPort>`: `proxy_cache` in the
        /// temp prefix, `proxy_cache_valid` for answers without freshness information of their
        /// own, `proxy_cache_revalidate on` (stale entries are revalidated with conditional
        /// requests), and `X-Cache-Status: $upstream_cache_status` on every answer.
        case cachingProxy(upstreamPort: Int, cacheValid: String = "10m")
    }

    static let binary = "/usr/sbin/nginx"

    /// The port on 127.0.0.1.
    public var port: Int { reservation.port }
    /// The temp prefix holding nginx.conf, the logs, temp and cache directories.
    public var directory: String { temp.path }
    /// The error log (nginx's startup errors land here too).
    public var errorLogPath: String { temp.file("error.log") }
    /// The access log: `<status> <upstream status> <cache status> <method> <uri>` per request.
    public var accessLogPath: String { temp.file("access.log") }
    private let reservation: PortReservation
    private let temp: TempDir
    private let process = Mutex<Process?>(nil)

    /// Writes the config for `role` and starts nginx; returns once it serves.
    public static func start(_ role: Role) async throws -> NginxServer {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw StartError(description: "\(binary) not found: install nginx: apt-get install -y nginx (or scripts/install-deps.sh)")
        }
        let server = NginxServer(reservation: try PortReservation(), temp: TempDir("nginx"))
        try server.writeConfig(role)
        try await server.launch()
        return server
    }

    private init(reservation: PortReservation, temp: TempDir) {
        self.reservation = reservation
        self.temp = temp
    }

    deinit {
        stop()
        temp.remove()
    }

    /// The nginx.conf for `role`, every path inside the temp prefix.
    static func config(_ role: Role, port: Int, prefix: String, runAsRoot: Bool) -> String {
        let location: String
        var http = ""
        switch role {
        case .files(let root):
            location = """
                    location / {
                        root \(root);
                    }
                """
            http = "    open_file_cache max=1000 inactive=60s;\n"
        case .cachingProxy(let upstreamPort, let cacheValid):
            // keys_zone 1m holds about 8,000 keys; inactive keeps entries that expired (but may
            // still be revalidated) for the whole test.
            http = """
                    proxy_cache_path \(prefix)/cache levels=1:2 keys_zone=bfs:1m max_size=256m inactive=1h use_temp_path=off;
                    upstream bfs_proxy {
                        server 127.0.0.1:\(upstreamPort);
                        keepalive 16;
                    }

                """
            location = """
                    location / {
                        proxy_pass http://bfs_proxy;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_set_header Host $host;
                        proxy_cache bfs;
                        proxy_cache_valid 200 206 \(cacheValid);
                        proxy_cache_revalidate on;
                        add_header X-Cache-Status $upstream_cache_status always;
                    }
                """
        }
        return """
            daemon off;
            master_process on;
            worker_processes 1;
            \(runAsRoot ? "user root;\n" : "")pid \(prefix)/nginx.pid;
            error_log \(prefix)/error.log info;
            events { worker_connections 1024; }
            http {
                log_format bfs '$status $upstream_status $upstream_cache_status $request_method $request_uri';
                access_log \(prefix)/access.log bfs;
                sendfile on;
                tcp_nodelay on;
                keepalive_requests 1000000;
                client_body_temp_path \(prefix)/body;
                proxy_temp_path \(prefix)/proxy;
                fastcgi_temp_path \(prefix)/fastcgi;
                uwsgi_temp_path \(prefix)/uwsgi;
                scgi_temp_path \(prefix)/scgi;
            \(http)    server {
                    listen 127.0.0.1:\(port);
                    location = /nginx-ready {
                        access_log off;
                        return 204;
                    }
            \(location)
                }
            }

            """
    }

    private func writeConfig(_ role: Role) throws {
        try Self.config(role, port: port, prefix: directory, runAsRoot: getuid() == 0)
            .write(toFile: temp.file("nginx.conf"), atomically: true, encoding: .utf8)
    }

    private func launch() async throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: Self.binary)
        // -p: relative paths and the compiled-in defaults resolve in the prefix; -e: the log
        // nginx writes before it has read the config stays out of /var/log.
        child.arguments = ["-p", directory, "-c", temp.file("nginx.conf"), "-e", errorLogPath]
        _ = FileManager.default.createFile(atPath: temp.file("stdout.log"), contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: temp.file("stdout.log")))
        child.standardOutput = log
        child.standardError = log
        child.standardInput = FileHandle.nullDevice
        try child.run()
        process.withLock { $0 = child }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(30)
        while clock.now < deadline, child.isRunning {
            if (try? TestHTTPEndpoint(port: port).get("/nginx-ready").status) == 204 { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        let errors = (try? String(contentsOfFile: errorLogPath, encoding: .utf8)) ?? ""
        let output = (try? String(contentsOfFile: temp.file("stdout.log"), encoding: .utf8)) ?? ""
        stop()
        throw StartError(description: "nginx on port \(port) did not start:\n\(output.suffix(1000))\n\(errors.suffix(2000))")
    }

    /// The access log's lines so far.
    public func accessLog() -> [String] {
        ((try? String(contentsOfFile: accessLogPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// SIGTERM (fast shutdown: the master stops its worker) and reaps the master (idempotent).
    public func stop() {
        guard let child = process.withLock({ p -> Process? in defer { p = nil }; return p }) else { return }
        if child.isRunning { kill(child.processIdentifier, SIGTERM) }
        child.waitUntilExit()
    }
}
