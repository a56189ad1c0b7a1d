// bfs-bench-server: the HTTP server of BFSHTTP with two fixed workloads, for Bench/micro/run.sh.
//
// Workloads:
//   /fixed  a 4 KiB in-memory body (head + body written with one write)
//   /file   a 4 KiB range of --file (offset --offset) sent with sendfile(2) on the loop thread
//
// Usage: bfs-bench-server --file PATH [--offset N] [--length N] [--port N] [--loops N]
// Prints "listening <port>" once ready; SIGINT/SIGTERM drain and exit.
import BFSHTTP
import BFSLoop
import Dispatch
import Glibc

var options: [String: String] = [:]
var args = CommandLine.arguments.dropFirst()
while let key = args.popFirst() {
    guard key.hasPrefix("--"), let value = args.popFirst() else {
        fail("usage: bfs-bench-server --file PATH [--offset N] [--length N] [--port N] [--loops N]")
    }
    options[String(key.dropFirst(2))] = value
}
guard let path = options["file"] else {
    fail("--file is required")
}
let offset = Int64(options["offset"] ?? "0") ?? 0
let length = Int(options["length"] ?? "4096") ?? 4096
let fd = open(path, O_RDONLY)
guard fd >= 0 else {
    fail("cannot open \(path): errno \(errno)")
}
// The in-memory body holds the same bytes as the file range.
var fixed = [UInt8](repeating: 0, count: length)
_ = fixed.withUnsafeMutableBytes { pread(fd, $0.baseAddress, length, off_t(offset)) }
let fixedBody = fixed

var router = HTTPRouter()
router.add(.get, "/fixed") { ex in
    ex.respond(headers: ["Content-Type": "application/octet-stream"], body: .bytes(fixedBody))
}
router.add(.get, "/file") { ex in
    ex.respond(headers: ["Content-Type": "application/octet-stream"], body: .file(fd: fd, offset: offset, length: length))
}

var config = HTTPServerConfiguration()
config.host = "127.0.0.1"
config.port = Int(options["port"] ?? "0") ?? 0
let loopCount = Int(options["loops"] ?? "1") ?? 1
config.loopCount = loopCount

let group = try EventLoopGroup(loopCount: loopCount, name: "bench")
let server = HTTPServer(configuration: config, router: router)
let port = try server.start(on: group)
print("listening \(port)")
fflush(nil)

let stopSignal = DispatchSemaphore(value: 0)
let signalLoop = group.loops[0]
try signalLoop.submitAndWait {
    _ = try SignalWatcher(on: signalLoop, signals: [SIGINT, SIGTERM]) { _ in stopSignal.signal() }
}
stopSignal.wait()
server.stop()
group.shutdown()
close(fd)

func fail(_ message: String) -> Never {
    let line = Array((message + "\n").utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(2)
}
