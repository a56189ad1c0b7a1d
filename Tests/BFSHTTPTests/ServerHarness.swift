import BFSLoop
import Glibc
import Testing
@testable import BFSHTTP

/// Starts a server on its own loop group (port 0), runs `body`, stops everything.
func withServer<R>(
    loops: Int = 1, configure: (inout HTTPServerConfiguration) -> Void = { _ in },
    router: HTTPRouter, _ body: (HTTPServer, Int) throws -> R
) throws -> R {
    var config = HTTPServerConfiguration()
    config.port = 0
    configure(&config)
    let group = try EventLoopGroup(loopCount: loops, name: "http-test")
    let server = HTTPServer(configuration: config, router: router)
    let port = try server.start(on: group)
    defer {
        server.stop(timeoutMilliseconds: 2000)
        group.shutdown()
    }
    return try body(server, port)
}

/// A temp dir removed at the end of the test.
func withTempDir<R>(_ body: (String) throws -> R) throws -> R {
    var template = Array("/tmp/bfs-http-XXXXXX".utf8CString)
    guard let p = mkdtemp(&template) else { throw RawClient.ClientError.sys("mkdtemp", errno) }
    let dir = String(cString: p)
    defer { _ = try? runRemove(dir) }
    return try body(dir)
}

private func runRemove(_ dir: String) throws {
    guard let d = opendir(dir) else { return }
    while let e = readdir(d) {
        let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name != "." && name != ".." { unlink(dir + "/" + name) }
    }
    closedir(d)
    rmdir(dir)
}

/// A pseudo-random generator with a printed seed (xorshift64*).
struct SeededBytes {
    var state: UInt64
    init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 2_685_821_657_736_338_717
    }
    mutating func bytes(_ n: Int) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(n + 8)
        while out.count < n { withUnsafeBytes(of: next()) { out.append(contentsOf: $0) } }
        return Array(out.prefix(n))
    }
}

/// Shared state a handler (on a loop thread) and the test thread both touch.
final class Shared<T: Sendable>: @unchecked Sendable {
    private var value: T
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    init(_ v: T) {
        value = v
        pthread_mutex_init(lock, nil)
    }
    deinit {
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }
    func with<R>(_ f: (inout T) -> R) -> R {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return f(&value)
    }
    var get: T { with { $0 } }
}

/// Polls `condition` every 5 ms for up to `seconds`.
func waitUntil(seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Double(time(nil)) + seconds + 1
    while Double(time(nil)) < deadline {
        if condition() { return true }
        usleep(5000)
    }
    return condition()
}
