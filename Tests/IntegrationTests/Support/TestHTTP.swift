import Foundation
import Glibc

/// A deliberately small, blocking HTTP/1.1 client over a POSIX socket, independent of BFSHTTP so
/// the integration tests check the wire, not our own client against itself.
struct TestHTTP {
    struct Response {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]

        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }

        var text: String { String(decoding: body, as: UTF8.self) }

        /// The body parsed as a JSON object.
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
        }

        /// The bfs `ret` field of a JSON reply, or nil.
        var ret: Int? { (json["ret"] as? NSNumber)?.intValue }
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    let host: String
    let port: Int
    var timeoutSeconds: Int = 20

    init(_ address: String) {
        let colon = address.lastIndex(of: ":")!
        host = String(address[..<colon])
        port = Int(address[address.index(after: colon)...])!
    }

    init(host: String = "127.0.0.1", port: Int) {
        self.host = host
        self.port = port
    }

    func get(_ target: String, headers: [(String, String)] = []) throws -> Response {
        try request("GET", target, headers: headers)
    }

    func head(_ target: String) throws -> Response {
        try request("HEAD", target)
    }

    func postForm(_ target: String, _ fields: [(String, String)]) throws -> Response {
        let body = fields.map { "\(percent($0.0))=\(percent($0.1))" }.joined(separator: "&")
        return try request("POST", target, headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array(body.utf8))
    }

    func postMultipart(_ target: String, fields: [(String, String)], files: [(name: String, data: [UInt8])]) throws -> Response {
        let boundary = "bfs-test-\(UInt64.random(in: 0...UInt64.max))"
        var body: [UInt8] = []
        func add(_ s: String) { body += Array(s.utf8) }
        for (k, v) in fields {
            add("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(k)\"\r\n\r\n\(v)\r\n")
        }
        for f in files {
            add("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(f.name)\"; filename=\"1.jpg\"\r\nContent-Type: application/octet-stream\r\n\r\n")
            body += f.data
            add("\r\n")
        }
        add("--\(boundary)--\r\n")
        return try request("POST", target, headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")], body: body)
    }

    /// Sends one request on a fresh connection (`Connection: close`) and reads the whole answer.
    func request(_ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = []) throws -> Response {
        let fd = try connectSocket()
        defer { close(fd) }
        var head = "\(method) \(target) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        try sendAll(fd, Array(head.utf8) + body)
        var raw: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n > 0 { raw += buf[0..<n]; continue }
            if n == 0 { break }
            if errno == EINTR { continue }
            throw Failure(description: "recv: \(String(cString: strerror(errno)))")
        }
        return try parse(raw, method: method)
    }

    private func parse(_ raw: [UInt8], method: String) throws -> Response {
        let sep: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = raw.firstRange(of: sep) else { throw Failure(description: "no header end in \(raw.count) bytes") }
        let headText = String(decoding: raw[..<end.lowerBound], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw Failure(description: "bad status line") }
        let headers = lines.compactMap { line -> (String, String)? in
            guard let c = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<c]), line[line.index(after: c)...].trimmingCharacters(in: .whitespaces))
        }
        var body = Array(raw[end.upperBound...])
        let te = headers.first { $0.0.lowercased() == "transfer-encoding" }?.1.lowercased()
        if te == "chunked" { body = try dechunk(body) }
        if method == "HEAD" { body = [] }
        return Response(status: status, headers: headers, body: body)
    }

    private func dechunk(_ data: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < data.count {
            guard let lineEnd = data[i...].firstRange(of: Array("\r\n".utf8)) else { throw Failure(description: "bad chunk") }
            let sizeText = String(decoding: data[i..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";")[0]
            guard let size = Int(sizeText, radix: 16) else { throw Failure(description: "bad chunk size") }
            i = lineEnd.upperBound
            if size == 0 { break }
            out += data[i..<(i + size)]
            i += size + 2
        }
        return out
    }

    private func connectSocket() throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed") }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &addr.sin_addr)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw Failure(description: "connect \(host):\(port): \(String(cString: strerror(e)))")
        }
        return fd
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 { off += n; continue }
            if n < 0 && errno == EINTR { continue }
            throw Failure(description: "send: \(String(cString: strerror(errno)))")
        }
    }

    private func percent(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s
    }
}
