import Glibc

/// The one blocking HTTP/1.1 test client: a loopback socket that sends exact bytes (so tests can
/// send malformed or pipelined requests) and parses one response at a time (Content-Length,
/// chunked, or up to EOF; no body for HEAD, 1xx, 204, 304). It never shares code with BFSHTTP,
/// so tests check the wire rather than our client against our server.
///
/// ```swift
/// let c = try TestHTTPClient(port: port)
/// try c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
/// let a = try c.readResponse(), b = try c.readResponse()
/// ```
public final class TestHTTPClient {
    /// The socket, for tests that need a raw system call on it.
    public let fd: Int32
    private var buffer: [UInt8] = []

    /// Why a call failed: a system call's errno, EOF before a full response, or bytes that are
    /// not HTTP.
    public enum Failure: Error, Equatable {
        case system(String, Int32)
        case eof
        case malformed(String)
    }

    /// Connects to `host:port`. `receiveBuffer` shrinks SO_RCVBUF (set before connecting, so the
    /// window stays small); every receive gives up after `timeoutSeconds`.
    public init(host: String = "127.0.0.1", port: Int, receiveBuffer: Int32? = nil, timeoutSeconds: Int = 20) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure.system("socket", errno) }
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var limit = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &address.sin_addr)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        // Every stored property is set by now, so a throw runs `deinit`, which closes the socket;
        // closing it here too would close whatever descriptor another thread opened meanwhile.
        guard rc == 0 else { throw Failure.system("connect \(host):\(port)", errno) }
    }

    deinit { if fd >= 0 { close(fd) } }

    // MARK: sending

    /// Sends the UTF-8 bytes of `text`.
    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Sends all of `bytes`.
    public func send(_ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure.system("send", errno) }
            off += n
        }
    }

    /// Half-closes the sending side (the server reads EOF; answers still arrive).
    public func shutdownWrite() { _ = shutdown(fd, Int32(SHUT_WR)) }

    /// Sends one request (a Content-Length body, or chunked in uneven pieces) on this connection
    /// and reads its response. A `Host` header is added; POST always carries a length.
    public func request(_ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = [],
                        chunked: Bool = false) throws -> TestHTTPResponse {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (n, v) in headers { head += "\(n): \(v)\r\n" }
        if chunked {
            head += "Transfer-Encoding: chunked\r\n\r\n"
            try send(head)
            var at = 0
            while at < body.count {  // uneven pieces, so chunk boundaries fall anywhere
                let n = min(body.count - at, 1000 + at % 7919)
                try send(Array("\(String(n, radix: 16))\r\n".utf8) + body[at..<(at + n)] + Array("\r\n".utf8))
                at += n
            }
            try send("0\r\n\r\n")
        } else {
            if !body.isEmpty || method == "POST" || method == "PUT" { head += "Content-Length: \(body.count)\r\n" }
            head += "\r\n"
            try send(Array(head.utf8) + body)
        }
        return try readResponse(isHead: method == "HEAD")
    }

    // MARK: receiving

    /// Reads exactly `count` bytes, `chunk` at most per receive; `pause` runs before each
    /// receive (a slow reader).
    public func read(count: Int, pause: (() -> Void)? = nil, chunk: Int = 65536) throws -> [UInt8] {
        while buffer.count < count {
            pause?()
            guard try fill(max: chunk) else { throw Failure.eof }
        }
        let out = Array(buffer[0..<count])
        buffer.removeFirst(count)
        return out
    }

    /// Reads through the next CRLFCRLF and returns the head (status line and headers) as text.
    public func readHead() throws -> String {
        var from = 0
        while true {
            if buffer.count >= 4 {
                for i in from...(buffer.count - 4)
                where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
                    let head = String(decoding: buffer[0..<i], as: UTF8.self)
                    buffer.removeFirst(i + 4)
                    return head
                }
                from = buffer.count - 3
            }
            guard try fill() else { throw Failure.eof }
        }
    }

    /// Reads one response. With neither Content-Length nor chunked framing the body runs to EOF.
    public func readResponse(isHead: Bool = false) throws -> TestHTTPResponse {
        let text = try readHead()
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else { throw Failure.malformed(statusLine) }
        var headers: [(String, String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw Failure.malformed(line) }
            let value = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            headers.append((String(line[..<colon]), String(value.reversed().drop { $0 == " " }.reversed())))
        }
        var response = TestHTTPResponse(status: status, headers: headers, body: [])
        if isHead || status < 200 || status == 204 || status == 304 { return response }
        if let length = response.header("Content-Length").flatMap({ Int($0) }) {
            response.body = try read(count: length)
        } else if response.header("Transfer-Encoding")?.lowercased() == "chunked" {
            while true {
                let sizeLine = try readLine()
                guard let size = Int(sizeLine.split(separator: ";").first ?? "", radix: 16) else {
                    throw Failure.malformed(sizeLine)
                }
                if size == 0 { _ = try readLine(); break }
                response.body += try read(count: size)
                _ = try read(count: 2)
            }
        } else {
            response.body = try readToEOF()
        }
        return response
    }

    /// Reads everything until the server closes.
    public func readToEOF() throws -> [UInt8] {
        while try fill() {}
        defer { buffer = [] }
        return buffer
    }

    /// Whether the server closed (EOF or a reset) with nothing else pending.
    public func readsEOF() -> Bool {
        guard buffer.isEmpty else { return false }
        do { return try !fill() } catch Failure.system(_, let e) { return e == ECONNRESET } catch { return false }
    }

    /// Bytes received beyond what was parsed so far.
    public var leftover: [UInt8] { buffer }

    private func readLine() throws -> String {
        while true {
            if let i = buffer.firstIndex(of: 10), i > 0, buffer[i - 1] == 13 {
                let line = String(decoding: buffer[0..<(i - 1)], as: UTF8.self)
                buffer.removeFirst(i + 1)
                return line
            }
            guard try fill() else { throw Failure.eof }
        }
    }

    /// Appends one receive to the buffer; false on EOF.
    @discardableResult
    private func fill(max: Int = 65536) throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: max)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw Failure.system("recv", errno) }
            if n == 0 { return false }
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
    }
}
