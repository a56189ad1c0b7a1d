/// An incremental HTTP/1.1 response parser for the client (RFC 9112 §4–§7).
///
/// Feed the bytes read from the connection; events arrive as the response completes. Body
/// bytes are slices of the fed buffer (nothing is copied but the head). Framing, in the order
/// RFC 9112 §6.3 decides it:
///
/// | Response | Body |
/// |---|---|
/// | 1xx other than 101 | interim: skipped, the next head follows |
/// | to HEAD, or 204, or 304 | none |
/// | `Transfer-Encoding` ending in `chunked` | chunks until the zero chunk, then trailers (dropped) |
/// | other `Transfer-Encoding` | until the server closes |
/// | `Content-Length: N` | exactly N bytes (differing repeated values are an error) |
/// | none of these | until the server closes (the connection cannot be reused) |
///
/// Line ends may be CRLF or bare LF (lenient as a client should be); chunk extensions are
/// skipped. After `.end` the parser consumes nothing more: bytes left over on a connection that
/// does not pipeline mean the server misbehaved, so the caller closes it.
struct HTTPClientResponseParser {
    enum Event {
        case head(HTTPClientResponseHead)
        case body(UnsafeRawBufferPointer)
        case end
    }

    private enum State {
        case head, fixed(Int), untilClose
        case chunkSize, chunkExtension, chunkData(Int), chunkDataEnd, trailers
        case done
    }

    /// Most bytes of status line plus headers (and, separately, of trailers).
    let maxHeadSize: Int
    /// Whether the request was HEAD, whose response never has a body.
    let isHeadRequest: Bool
    private var state = State.head
    private var headBuffer: [UInt8] = []
    /// Bytes in the current line (CR not counted), for head and trailer scanning.
    private var lineLength = 0
    private var trailerSize = 0
    private var chunkSize = 0
    private var chunkDigits = 0

    init(maxHeadSize: Int, isHeadRequest: Bool) {
        self.maxHeadSize = maxHeadSize
        self.isHeadRequest = isHeadRequest
    }

    /// Whether the response is complete.
    var isComplete: Bool {
        if case .done = state { return true }
        return false
    }

    /// Whether the body runs until the server closes (so the connection cannot be reused).
    var readsUntilClose: Bool {
        if case .untilClose = state { return true }
        return false
    }

    /// Parses `bytes`, reporting events; returns how many bytes belong to this response.
    mutating func feed(_ bytes: UnsafeRawBufferPointer,
                       _ handler: (Event) throws -> Void) throws -> Int
    {
        var i = 0
        while i < bytes.count {
            switch state {
            case .head:
                i = try readHead(bytes, from: i, handler)
            case .fixed(let remaining):
                let take = Swift.min(remaining, bytes.count - i)
                try handler(.body(UnsafeRawBufferPointer(rebasing: bytes[i..<(i + take)])))
                i += take
                if take == remaining {
                    state = .done
                    try handler(.end)
                } else {
                    state = .fixed(remaining - take)
                }
            case .untilClose:
                try handler(.body(UnsafeRawBufferPointer(rebasing: bytes[i...])))
                i = bytes.count
            case .chunkData(let remaining):
                let take = Swift.min(remaining, bytes.count - i)
                try handler(.body(UnsafeRawBufferPointer(rebasing: bytes[i..<(i + take)])))
                i += take
                state = take == remaining ? .chunkDataEnd : .chunkData(remaining - take)
            case .chunkSize, .chunkExtension, .chunkDataEnd, .trailers:
                try readChunkFraming(bytes[i], handler)
                i += 1
            case .done:
                return i
            }
        }
        return i
    }

    /// The server closed the connection: completes a read-until-close body, else throws.
    mutating func finishAtEndOfStream(_ handler: (Event) throws -> Void) throws {
        switch state {
        case .untilClose:
            state = .done
            try handler(.end)
        case .done:
            break
        default:
            throw HTTPClientError.connectionClosed
        }
    }

    /// Gathers the head up to its empty line, then parses it and picks the body framing.
    private mutating func readHead(_ bytes: UnsafeRawBufferPointer, from start: Int,
                                   _ handler: (Event) throws -> Void) throws -> Int
    {
        var i = start
        var complete = false
        while i < bytes.count && !complete {
            switch bytes[i] {
            case 0x0A:
                complete = lineLength == 0
                lineLength = 0
            case 0x0D:
                break
            default:
                lineLength += 1
            }
            i += 1
        }
        headBuffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<i]))
        if headBuffer.count > maxHeadSize {
            throw HTTPClientError.responseHeadTooLarge(limit: maxHeadSize)
        }
        guard complete else { return i }
        let head = try Self.parseHead(headBuffer)
        headBuffer.removeAll(keepingCapacity: true)
        lineLength = 0
        try startBody(after: head, handler)
        return i
    }

    /// Chooses the framing for `head` (RFC 9112 §6.3) and reports the head.
    private mutating func startBody(after head: HTTPClientResponseHead,
                                    _ handler: (Event) throws -> Void) throws
    {
        let code = head.status.code
        if code == 101 { throw HTTPClientError.malformedResponse("unrequested protocol switch") }
        if (100..<200).contains(code) { return }  // interim; the real head follows
        if isHeadRequest || code == 204 || code == 304 {
            state = .done
        } else if let codings = head.header("transfer-encoding") {
            let last = codings.split(separator: ",").last.map { String($0) } ?? ""
            let isChunked = MultipartHeaderValue.trimmed(Array(last.utf8)[...]).lowercased() == "chunked"
            state = isChunked ? .chunkSize : .untilClose
            chunkSize = 0
            chunkDigits = 0
        } else if let length = try Self.contentLength(head) {
            state = length == 0 ? .done : .fixed(length)
        } else {
            state = .untilClose
        }
        try handler(.head(head))
        if case .done = state { try handler(.end) }
    }

    /// Advances the chunked framing by one byte (size lines, chunk ends and trailers).
    private mutating func readChunkFraming(_ byte: UInt8, _ handler: (Event) throws -> Void) throws {
        switch state {
        case .chunkSize:
            if let digit = QueryString.hexValue(byte) {
                // 15 hex digits already exceed any body we would accept; more is an attack.
                guard chunkDigits < 15 else { throw HTTPClientError.malformedResponse("chunk size") }
                chunkSize = chunkSize << 4 | Int(digit)
                chunkDigits += 1
            } else if byte == UInt8(ascii: ";") || byte == 0x20 || byte == 0x09 {
                state = .chunkExtension
            } else if byte == 0x0A {
                try endChunkSizeLine()
            } else if byte != 0x0D {
                throw HTTPClientError.malformedResponse("chunk size")
            }
        case .chunkExtension:
            trailerSize += 1
            if trailerSize > maxHeadSize { throw HTTPClientError.malformedResponse("chunk extension") }
            if byte == 0x0A { try endChunkSizeLine() }
        case .chunkDataEnd:
            if byte == 0x0A {
                state = .chunkSize
                chunkSize = 0
                chunkDigits = 0
            } else if byte != 0x0D {
                throw HTTPClientError.malformedResponse("chunk not followed by CRLF")
            }
        case .trailers:
            trailerSize += 1
            if trailerSize > maxHeadSize { throw HTTPClientError.responseHeadTooLarge(limit: maxHeadSize) }
            if byte == 0x0A {
                if lineLength == 0 {
                    state = .done
                    try handler(.end)
                }
                lineLength = 0
            } else if byte != 0x0D {
                lineLength += 1
            }
        default:
            break
        }
    }

    /// A chunk-size line ended: data follows, or the last chunk's trailers.
    private mutating func endChunkSizeLine() throws {
        guard chunkDigits > 0 else { throw HTTPClientError.malformedResponse("chunk size") }
        trailerSize = 0
        lineLength = 0
        state = chunkSize == 0 ? .trailers : .chunkData(chunkSize)
    }

    /// The Content-Length of `head`, nil if absent; throws on garbage or conflicting values.
    /// Each comma-separated value, spaces and tabs around it ignored, is 1 to 18 digits (below
    /// Int.max, and no body is anywhere near that size); scanned in place, nothing allocated.
    static func contentLength(_ head: HTTPClientResponseHead) throws -> Int? {
        var length: Int?
        for pair in head.headers where HTTPHeaders.sameName(pair.name, "content-length") {
            func malformed() -> HTTPClientError { .malformedResponse("content-length \(pair.value)") }
            var value = 0
            var digits = 0
            var spaceAfterDigits = false
            func endPiece() throws(HTTPClientError) {
                guard digits > 0, length == nil || length == value else { throw malformed() }
                length = value
            }
            for byte in pair.value.utf8 {
                switch byte {
                case UInt8(ascii: ","):
                    try endPiece()
                    value = 0
                    digits = 0
                    spaceAfterDigits = false
                case UInt8(ascii: " "), UInt8(ascii: "\t"):
                    spaceAfterDigits = digits > 0
                case UInt8(ascii: "0")...UInt8(ascii: "9"):
                    guard !spaceAfterDigits, digits < 18 else { throw malformed() }
                    value = value * 10 + Int(byte - UInt8(ascii: "0"))
                    digits += 1
                default:
                    throw malformed()
                }
            }
            try endPiece()
        }
        return length
    }

    /// Parses `HTTP/1.x code reason` and the header lines of a complete head.
    static func parseHead(_ bytes: [UInt8]) throws -> HTTPClientResponseHead {
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        for i in lines.indices where lines[i].last == 0x0D { lines[i] = lines[i].dropLast() }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let statusLine = lines.first, statusLine.count >= 12,
              statusLine.starts(with: "HTTP/1.".utf8),
              let minor = QueryString.hexValue(statusLine[statusLine.startIndex + 7]), minor <= 1,
              statusLine[statusLine.startIndex + 8] == 0x20,
              let code = Int(String(decoding: statusLine.dropFirst(9).prefix(3), as: UTF8.self)),
              (100...999).contains(code),
              statusLine.count == 12 || statusLine[statusLine.startIndex + 12] == 0x20
        else {
            let text = String(decoding: lines.first ?? [], as: UTF8.self)
            throw HTTPClientError.malformedResponse("status line \"\(text)\"")
        }
        var headers: [FormFields.Pair] = []
        headers.reserveCapacity(lines.count - 1)
        for line in lines.dropFirst() {
            if let first = line.first, first == 0x20 || first == 0x09, !headers.isEmpty {
                headers[headers.count - 1].value += " " + MultipartHeaderValue.trimmed(line)
                continue
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                  !line[..<colon].contains(where: { $0 == 0x20 || $0 == 0x09 })
            else {
                let text = String(decoding: line, as: UTF8.self)
                throw HTTPClientError.malformedResponse("header line \"\(text)\"")
            }
            headers.append(.init(name: String(decoding: line[..<colon], as: UTF8.self),
                                 value: MultipartHeaderValue.trimmed(line[(colon + 1)...])))
        }
        return HTTPClientResponseHead(status: HTTPStatus(code), minorVersion: Int(minor), headers: headers)
    }
}
