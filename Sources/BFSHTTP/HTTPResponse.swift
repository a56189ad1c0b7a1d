/// The body of a response.
public enum HTTPResponseBody: Sendable {
    /// No body (Content-Length: 0).
    case empty
    /// In-memory bytes.
    case bytes([UInt8])
    /// `length` bytes of an open file from `offset`, sent with `sendfile(2)` on the loop thread.
    /// The caller keeps `fd` open until the response's completion has run.
    case file(fd: Int32, offset: Int64, length: Int)

    /// The byte count announced in Content-Length.
    var length: Int {
        switch self {
        case .empty: return 0
        case .bytes(let b): return b.count
        case .file(_, _, let length): return length
        }
    }
}

/// Serializes a response head (status line and header block) into bytes.
enum HTTPResponseHeadWriter {
    /// How the body is framed.
    enum Framing {
        /// `Content-Length: n`.
        case length(Int)
        /// `Transfer-Encoding: chunked`.
        case chunked
        /// Neither: no body by definition (1xx, 204, 304) or ends with the connection (HTTP/1.0 stream).
        case none
    }

    /// The head, ending with the empty line. `Date`, `Server`, framing and `Connection` are
    /// written here; callers' headers should not repeat them. Built without intermediate strings:
    /// constant text and the header fields' UTF-8 are copied, numbers are written digit by digit.
    static func make(
        status: HTTPStatus, headers: HTTPHeaders, framing: Framing, close: Bool,
        keepAliveHeader: Bool, dateLines: [UInt8], bodyReserve: Int = 0
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128 + headers.count * 40 + bodyReserve)
        appendStatusLine(status, to: &out)
        out.append(contentsOf: dateLines)
        let fields = headers.fields
        var i = 0
        while i < fields.count {
            out.append(contentsOf: fields[i].name.utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: fields[i].value.utf8)
            out.append(contentsOf: "\r\n".utf8)
            i += 1
        }
        switch framing {
        case .length(let n):
            out.append(contentsOf: "Content-Length: ".utf8)
            appendDecimal(n, to: &out)
            out.append(contentsOf: "\r\n".utf8)
        case .chunked: out.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8)
        case .none: break
        }
        if close {
            out.append(contentsOf: "Connection: close\r\n".utf8)
        } else if keepAliveHeader {
            out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        out.append(contentsOf: "\r\n".utf8)
        return out
    }

    /// `HTTP/1.1 <code> <reason>\r\n`.
    static func appendStatusLine(_ status: HTTPStatus, to out: inout [UInt8]) {
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        appendDecimal(status.code, to: &out)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: status.reason.utf8)
        out.append(contentsOf: "\r\n".utf8)
    }

    /// Appends the decimal digits of `value` (negative numbers with a sign), byte by byte.
    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        let magnitude = value.magnitude
        var divisor: UInt = 1
        while magnitude / divisor >= 10 { divisor *= 10 }
        repeat {
            out.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude / divisor % 10))
            divisor /= 10
        } while divisor > 0
    }

    /// Whether a status forbids a body (RFC 9110 §6.4.1).
    static func forbidsBody(_ status: HTTPStatus) -> Bool {
        status.code < 200 || status.code == 204 || status.code == 304
    }
}
