import BFSHTTP
import Glibc

/// A blocking HTTP/1.1 client over one loopback socket, for tests: sends exact bytes, parses
/// one response at a time (Content-Length or chunked bodies; none for HEAD).
final class StoreTestClient {
    let fd: Int32
    private var buffer: [UInt8] = []

    enum ClientError: Error { case system(String, Int32), eof, malformed(String) }

    /// A parsed response.
    struct Response {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]

        /// The first value of `name` (case-insensitive).
        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }

        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Connects to 127.0.0.1:`port`.
    init(port: Int, timeoutSeconds: Int = 20) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError.system("socket", errno) }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw ClientError.system("connect", e)
        }
    }

    deinit { close(fd) }

    // MARK: store API helpers

    /// `GET` (or `HEAD`) `/get?vid&key&cookie` with extra headers.
    func get(vid: Int32, key: Int64, cookie: Int32, method: String = "GET", headers: [(String, String)] = []) throws -> Response {
        try request(method, "/get?vid=\(vid)&key=\(key)&cookie=\(cookie)", headers: headers)
    }

    /// `POST /upload` as multipart with `vid`, `key`, `cookie` fields and a `file` part.
    func upload(vid: Int32, key: Int64, cookie: Int32, data: [UInt8], chunked: Bool = false) throws -> Response {
        var form = MultipartWriter()
        form.addField(name: "vid", value: String(vid))
        form.addField(name: "key", value: String(key))
        form.addField(name: "cookie", value: String(cookie))
        form.addFile(name: "file", filename: "f", data: data)
        return try request("POST", "/upload", headers: [("Content-Type", form.contentType)], body: form.makeBody(), chunked: chunked)
    }

    /// `POST /del` with an urlencoded body.
    func delete(vid: Int32, key: Int64) throws -> Response {
        try request("POST", "/del", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                    body: Array("key=\(key)&vid=\(vid)".utf8))
    }

    // MARK: raw HTTP

    /// Sends one request (Content-Length or chunked body) and reads its response.
    func request(_ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = [],
                 chunked: Bool = false) throws -> Response {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (n, v) in headers { head += "\(n): \(v)\r\n" }
        if chunked {
            head += "Transfer-Encoding: chunked\r\n\r\n"
            try send(Array(head.utf8))
            var at = 0
            while at < body.count {  // uneven pieces, so boundaries fall anywhere
                let n = min(body.count - at, 1000 + at % 7919)
                try send(Array("\(String(n, radix: 16))\r\n".utf8) + body[at..<(at + n)] + Array("\r\n".utf8))
                at += n
            }
            try send(Array("0\r\n\r\n".utf8))
        } else {
            if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
            head += "\r\n"
            try send(Array(head.utf8) + body)
        }
        return try readResponse(isHead: method == "HEAD")
    }

    /// Sends raw bytes.
    func send(_ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw ClientError.system("send", errno) }
            off += n
        }
    }

    /// Reads one response.
    func readResponse(isHead: Bool = false) throws -> Response {
        let text = try readHead()
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else { throw ClientError.malformed(statusLine) }
        var headers: [(String, String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw ClientError.malformed(line) }
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " })))
        }
        var response = Response(status: status, headers: headers, body: [])
        if isHead || status < 200 || status == 204 || status == 304 { return response }
        if let length = response.header("Content-Length").flatMap({ Int($0) }) {
            response.body = try read(count: length)
        } else if response.header("Transfer-Encoding") == "chunked" {
            while true {
                let sizeLine = try readLine()
                guard let size = Int(sizeLine, radix: 16) else { throw ClientError.malformed(sizeLine) }
                if size == 0 { _ = try readLine(); break }
                response.body += try read(count: size)
                _ = try read(count: 2)
            }
        }
        return response
    }

    /// Whether the server closed the connection (EOF or reset) with nothing else pending.
    func readsEOF() -> Bool {
        guard buffer.isEmpty else { return false }
        do { return try !fill() } catch ClientError.system(_, let e) { return e == ECONNRESET } catch { return false }
    }

    @discardableResult
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 { throw ClientError.system("recv", errno) }
        if n == 0 { return false }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    private func read(count: Int) throws -> [UInt8] {
        while buffer.count < count { guard try fill() else { throw ClientError.eof } }
        let out = Array(buffer[0..<count])
        buffer.removeFirst(count)
        return out
    }

    private func readHead() throws -> String {
        while true {
            if buffer.count >= 4 {
                for i in 0...(buffer.count - 4) where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
                    let head = String(decoding: buffer[0..<i], as: UTF8.self)
                    buffer.removeFirst(i + 4)
                    return head
                }
            }
            guard try fill() else { throw ClientError.eof }
        }
    }

    private func readLine() throws -> String {
        while true {
            if let i = buffer.firstIndex(of: 10), i > 0, buffer[i - 1] == 13 {
                let line = String(decoding: buffer[0..<(i - 1)], as: UTF8.self)
                buffer.removeFirst(i + 1)
                return line
            }
            guard try fill() else { throw ClientError.eof }
        }
    }
}
