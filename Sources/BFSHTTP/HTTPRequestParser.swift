import CHTTPParser

// The one file that speaks to http-parser, so the parser can be swapped without touching the
// connection logic. Callbacks capture nothing: they find the parser object through `data`.

/// What the parser reports to its connection, in wire order.
protocol HTTPRequestParserDelegate: AnyObject {
    /// The start line and headers are complete.
    func parserDidReceiveHead(_ head: HTTPRequestHead)
    /// A piece of the (de-chunked) body.
    func parserDidReceiveBody(_ chunk: UnsafeRawBufferPointer)
    /// The request ended. The parser pauses right after, so a pipelined request stays unread
    /// until the connection resumes it.
    func parserDidCompleteMessage()
}

/// Why a request could not be parsed.
enum HTTPParseFailure: Equatable {
    /// Request line plus headers exceed the configured limit (answered with 431).
    case headerTooLarge
    /// A well-formed request line whose method http-parser does not know (answered with 501).
    case unknownMethod
    /// Anything else malformed (answered with 400); the parser's error name for logs.
    case malformed(String)
}

/// The outcome of feeding bytes.
enum HTTPParseResult: Equatable {
    /// Every byte was consumed.
    case consumedAll
    /// Parsing stopped after `consumed` bytes because the delegate or a message end paused it.
    case paused(consumed: Int)
    /// The stream is not valid HTTP/1.x; the connection must answer and close.
    case failed(HTTPParseFailure)
}

/// An incremental HTTP/1.x request parser over http-parser 2.9, with a header size limit.
final class HTTPRequestParser {
    private let parser: UnsafeMutablePointer<http_parser>
    private let settings: UnsafeMutablePointer<http_parser_settings>
    private let maxHeaderBytes: Int
    weak var delegate: (any HTTPRequestParserDelegate)?

    private var url: [UInt8] = []
    private var field: [UInt8] = []
    private var value: [UInt8] = []
    private var headers = HTTPHeaders()
    private var headerBytes = 0
    private var inValue = false
    private var failure: HTTPParseFailure?
    /// The bytes of the current message before its target, kept until the target begins: if
    /// http-parser refuses the method, the whole line decides between 400 and 501.
    private var lineStart: [UInt8] = []
    private var beforeTarget = true
    /// http-parser refused the method; bytes collect in `lineStart` until the line is judged.
    private var judgingLine = false
    /// Bounds `lineStart` while only empty lines, a method prefix and spaces can be in it.
    private static let lineStartLimit = 64

    init(maxHeaderBytes: Int) {
        self.maxHeaderBytes = maxHeaderBytes
        parser = .allocate(capacity: 1)
        settings = .allocate(capacity: 1)
        http_parser_init(parser, HTTP_REQUEST)
        http_parser_settings_init(settings)
        parser.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        Self.install(settings)
    }

    deinit {
        parser.deallocate()
        settings.deallocate()
    }

    /// Parses `bytes`; stops early when paused (message end) or on error.
    func feed(_ bytes: UnsafeRawBufferPointer) -> HTTPParseResult {
        guard failure == nil else { return .failed(failure!) }
        if judgingLine { return judgeLine(adding: bytes) }
        let base = bytes.baseAddress?.assumingMemoryBound(to: CChar.self)
        let n = http_parser_execute(parser, settings, base, bytes.count)
        let errno = chttp_errno(parser)
        if errno == HPE_PAUSED {
            http_parser_pause(parser, 0)
            return .paused(consumed: n)
        }
        if errno != HPE_OK {
            if let failure { return .failed(failure) }
            let f: HTTPParseFailure
            switch errno {
            case HPE_HEADER_OVERFLOW: f = .headerTooLarge
            case HPE_INVALID_METHOD:
                judgingLine = true
                return judgeLine(adding: bytes)
            default: f = .malformed(String(cString: http_errno_name(errno)))
            }
            failure = f
            return .failed(f)
        }
        if beforeTarget { record(bytes, limit: Self.lineStartLimit) }
        return n == bytes.count ? .consumedAll : .failed(.malformed("short parse"))
    }

    /// Keeps the start of the message's line; leading empty lines are skipped, as http-parser does.
    private func record(_ bytes: UnsafeRawBufferPointer, limit: Int) {
        for b in bytes where lineStart.count < limit {
            if lineStart.isEmpty && (b == 0x0D || b == 0x0A) { continue }
            lineStart.append(b)
        }
    }

    /// Decides 400 or 501 once the refused request line is complete (or cannot be well-formed).
    private func judgeLine(adding bytes: UnsafeRawBufferPointer) -> HTTPParseResult {
        record(bytes, limit: maxHeaderBytes + 1)
        let f: HTTPParseFailure
        switch HTTPRequestLine.classify(lineStart) {
        case .unknownMethod: f = .unknownMethod
        case .malformed: f = .malformed("HPE_INVALID_METHOD")
        case .incomplete:
            guard lineStart.count > maxHeaderBytes else { return .consumedAll }
            f = .headerTooLarge
        }
        failure = f
        lineStart = []
        return .failed(f)
    }

    /// Pauses parsing from inside a delegate callback; `feed` then returns `.paused`.
    func pause() {
        // http-parser asserts when paused in an error state; an errored parser is stopped anyway.
        let e = chttp_errno(parser)
        if e == HPE_OK || e == HPE_PAUSED { http_parser_pause(parser, 1) }
    }

    // MARK: callbacks (one forwarding closure each; no captures)

    private static func install(_ s: UnsafeMutablePointer<http_parser_settings>) {
        s.pointee.on_message_begin = { p in parserOf(p).didBeginMessage() }
        s.pointee.on_url = { p, at, len in parserOf(p).didReceiveTarget(at, len) }
        s.pointee.on_header_field = { p, at, len in parserOf(p).didReceiveField(at, len) }
        s.pointee.on_header_value = { p, at, len in parserOf(p).didReceiveValue(at, len) }
        s.pointee.on_headers_complete = { p in parserOf(p).didCompleteHead() }
        s.pointee.on_body = { p, at, len in parserOf(p).didReceiveBody(at, len) }
        s.pointee.on_message_complete = { p in parserOf(p).didCompleteMessage() }
    }

    fileprivate func didBeginMessage() -> Int32 {
        url.removeAll(keepingCapacity: true)
        field.removeAll(keepingCapacity: true)
        value.removeAll(keepingCapacity: true)
        headers = HTTPHeaders()
        // One allocation for the usual few headers instead of growing 1, 2, 4 (an upload sends
        // Host, Content-Type and Content-Length).
        headers.reserveCapacity(4)
        headerBytes = 0
        inValue = false
        return 0
    }

    fileprivate func didReceiveTarget(_ at: UnsafePointer<CChar>?, _ len: Int) -> Int32 {
        if beforeTarget {
            beforeTarget = false
            lineStart.removeAll(keepingCapacity: true)
        }
        return append(at, len, to: &url)
    }

    private func count(_ len: Int) -> Bool {
        headerBytes += len
        if headerBytes > maxHeaderBytes {
            failure = .headerTooLarge
            return false
        }
        return true
    }

    /// Appends a piece of the target, a field name or a field value to `buffer` (a direct
    /// `inout` rather than a key path, whose projection allocates per call).
    private func append(_ at: UnsafePointer<CChar>?, _ len: Int, to buffer: inout [UInt8]) -> Int32 {
        guard count(len) else { return 1 }
        buffer.append(contentsOf: UnsafeRawBufferPointer(start: at, count: len))
        return 0
    }

    fileprivate func didReceiveField(_ at: UnsafePointer<CChar>?, _ len: Int) -> Int32 {
        if inValue { flushField() }
        return append(at, len, to: &field)
    }

    fileprivate func didReceiveValue(_ at: UnsafePointer<CChar>?, _ len: Int) -> Int32 {
        inValue = true
        return append(at, len, to: &value)
    }

    private func flushField() {
        headers.add(name: String(decoding: field, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
        field.removeAll(keepingCapacity: true)
        value.removeAll(keepingCapacity: true)
        inValue = false
    }

    fileprivate func didCompleteHead() -> Int32 {
        if inValue || !field.isEmpty { flushField() }
        let p = parser.pointee
        let uri = String(decoding: url, as: UTF8.self)
        let (path, query) = HTTPRequestHead.split(uri: uri)
        let chunked = (UInt32(p.flags) & F_CHUNKED.rawValue) != 0
        // http-parser leaves content_length at ULLONG_MAX when the header is absent.
        let length: Int? = chunked ? nil : (p.content_length == UInt64.max ? 0 : Int(clamping: p.content_length))
        let head = HTTPRequestHead(
            method: Self.method(p.method),
            uri: uri, path: path, query: query, headers: headers,
            versionMajor: Int(p.http_major), versionMinor: Int(p.http_minor),
            keepAlive: http_should_keep_alive(parser) != 0,
            contentLength: length, isChunked: chunked)
        headerBytes = 0
        delegate?.parserDidReceiveHead(head)
        return 0
    }

    /// The common methods come from constants, sparing a string allocation per request.
    private static func method(_ raw: UInt32) -> HTTPMethod {
        switch http_method(rawValue: raw) {
        case HTTP_GET: return .get
        case HTTP_HEAD: return .head
        case HTTP_POST: return .post
        case HTTP_PUT: return .put
        case HTTP_DELETE: return .delete
        default: return HTTPMethod(rawValue: String(cString: http_method_str(http_method(rawValue: raw))))
        }
    }

    fileprivate func didReceiveBody(_ at: UnsafePointer<CChar>?, _ len: Int) -> Int32 {
        delegate?.parserDidReceiveBody(UnsafeRawBufferPointer(start: at, count: len))
        return 0
    }

    fileprivate func didCompleteMessage() -> Int32 {
        beforeTarget = true
        delegate?.parserDidCompleteMessage()
        pause()
        return 0
    }
}

private func parserOf(_ p: UnsafeMutablePointer<http_parser>?) -> HTTPRequestParser {
    Unmanaged<HTTPRequestParser>.fromOpaque(p!.pointee.data).takeUnretainedValue()
}
