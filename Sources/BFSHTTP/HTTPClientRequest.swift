/// One request for ``HTTPClient``: where it goes, what it says, and its body as chunks.
public struct HTTPClientRequest: Sendable {
    /// The method, e.g. `GET`, `POST`.
    public var method: String
    /// The server's host name or numeric address.
    public var host: String
    /// The server's port.
    public var port: Int
    /// The request target in origin form: path and optional `?query`.
    public var target: String
    /// Extra header lines. `Host` and `Content-Length` are added unless present here.
    public var headers: [FormFields.Pair]
    /// The body as chunks written in order (a multipart writer's chunks are shared, not copied).
    public var body: [ArraySlice<UInt8>]
    /// A body streamed from a source after `body` (empty then), read while sending; nil for
    /// in-memory bodies.
    public var bodySource: (any HTTPClientBodySource)?
    /// Milliseconds until the response head must have arrived, or nil to let the client's
    /// request timeout cover everything. Once the head is in, the request timeout runs afresh
    /// for the body: a reader fails over from a silent server quickly and still gives a long
    /// body the time it needs.
    public var headTimeout: UInt64? = nil
    /// Whether this GET or HEAD may be written behind others on a busy connection when the
    /// client pipelines (`HTTPClient.Configuration.maxPipelineDepth`). For requests whose
    /// answers are small and read at once: anything queued behind a long or paused answer waits.
    public var allowsPipelining = false

    /// A request with an optional in-memory body.
    public init(method: String = "GET", host: String, port: Int, target: String = "/",
                headers: [FormFields.Pair] = [], body: [UInt8] = [])
    {
        self.method = method
        self.host = host
        self.port = port
        self.target = target
        self.headers = headers
        self.body = body.isEmpty ? [] : [body[...]]
    }

    /// A request whose body streams from `bodySource` (say, a file being uploaded), announced
    /// with the source's `length` as `Content-Length`.
    public init(method: String, host: String, port: Int, target: String, headers: [FormFields.Pair] = [],
                bodySource: any HTTPClientBodySource)
    {
        self.init(method: method, host: host, port: port, target: target, headers: headers)
        self.bodySource = bodySource
    }

    /// A POST of a multipart form built with ``MultipartWriter``.
    public init(host: String, port: Int, target: String, multipart: MultipartWriter,
                headers: [FormFields.Pair] = [])
    {
        self.init(method: "POST", host: host, port: port, target: target, headers: headers)
        self.headers.append(.init(name: "Content-Type", value: multipart.contentType))
        body = multipart.makeChunks()
    }

    /// A POST of `application/x-www-form-urlencoded` fields (as bfs `/del` takes them).
    public init(host: String, port: Int, target: String, form: FormFields,
                headers: [FormFields.Pair] = [])
    {
        self.init(method: "POST", host: host, port: port, target: target, headers: headers,
                  body: QueryString.encodedBytes(form))
        self.headers.append(.init(name: "Content-Type", value: "application/x-www-form-urlencoded"))
    }

    /// The total body size.
    public var bodySize: Int { body.reduce(0) { $0 + $1.count } + (bodySource?.length ?? 0) }

    /// Whether repeating the request is harmless (RFC 9110 §9.2.2), so a request lost to a
    /// keep-alive connection the server had just closed may be sent again.
    var isIdempotent: Bool {
        switch method {
        case "GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE": true
        default: false
        }
    }

    /// Whether the request can be sent again as it was: idempotent, and its body is not a
    /// source already read from.
    var canResend: Bool { isIdempotent && bodySource == nil }

    /// Whether the request may share a connection with others in flight (HTTP/1.1 pipelining):
    /// allowed by the caller, and a GET or HEAD without a body, which can be sent again if the
    /// connection breaks.
    var canPipeline: Bool {
        allowsPipelining && (method == "GET" || method == "HEAD") && bodySource == nil && body.allSatisfy(\.isEmpty)
    }

    /// The request line and headers, or `.invalidRequest` if a piece could break the framing.
    func makeHead() throws(HTTPClientError) -> [UInt8] {
        guard !method.isEmpty, method.utf8.allSatisfy(Self.isTokenByte) else {
            throw .invalidRequest("method \"\(method)\"")
        }
        guard target.hasPrefix("/") || target == "*",
              !target.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F })
        else { throw .invalidRequest("target \"\(target)\"") }
        var head: [UInt8] = []
        head.reserveCapacity(headers.reduce(96 + target.utf8.count + host.utf8.count) {
            $0 + $1.name.utf8.count + $1.value.utf8.count + 4
        })
        head.append(contentsOf: method.utf8)
        head.append(UInt8(ascii: " "))
        head.append(contentsOf: target.utf8)
        head.append(contentsOf: " HTTP/1.1\r\n".utf8)
        var hasHost = false
        var hasLength = false
        for pair in headers {
            guard !pair.name.isEmpty, pair.name.utf8.allSatisfy(Self.isTokenByte),
                  !pair.value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 })
            else { throw .invalidRequest("header \"\(pair.name)\"") }
            hasHost = hasHost || HTTPHeaders.sameName(pair.name, "host")
            hasLength = hasLength || HTTPHeaders.sameName(pair.name, "content-length")
                || HTTPHeaders.sameName(pair.name, "transfer-encoding")
            head.append(contentsOf: pair.name.utf8)
            head.append(contentsOf: ": ".utf8)
            head.append(contentsOf: pair.value.utf8)
            head.append(contentsOf: "\r\n".utf8)
        }
        if !hasHost {
            head.append(contentsOf: "Host: ".utf8)
            if host.utf8.contains(UInt8(ascii: ":")) {
                head.append(UInt8(ascii: "["))
                head.append(contentsOf: host.utf8)
                head.append(UInt8(ascii: "]"))
            } else {
                head.append(contentsOf: host.utf8)
            }
            head.append(UInt8(ascii: ":"))
            head.append(contentsOf: String(port).utf8)
            head.append(contentsOf: "\r\n".utf8)
        }
        if !hasLength && (!body.isEmpty || bodySource != nil || method == "POST" || method == "PUT") {
            head.append(contentsOf: "Content-Length: ".utf8)
            head.append(contentsOf: String(bodySize).utf8)
            head.append(contentsOf: "\r\n".utf8)
        }
        head.append(contentsOf: "\r\n".utf8)
        return head
    }

    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
