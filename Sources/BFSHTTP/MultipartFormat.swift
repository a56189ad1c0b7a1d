/// The `multipart/form-data` wire format (RFC 7578 over RFC 2046 §5.1), declared once for
/// ``MultipartParser`` (reader) and ``MultipartWriter`` (writer).
///
/// With boundary `B` (1–70 `bchars`, see ``MultipartBoundary``) and `D` = CRLF `--B`:
///
/// | Piece | Bytes | Writer | Reader |
/// |---|---|---|---|
/// | preamble | anything before the first `--B` at a line start | writes none | ignores it |
/// | opening | `--B` then optional spaces/tabs, CRLF | `--B` CRLF | padding counts toward the header limit |
/// | part headers | `Name: value` lines, each ending CRLF | Content-Disposition, Content-Type for files | a bare CR or LF is an error; folded lines are joined |
/// | header end | CRLF (an empty line) | yes | an immediately empty line means "no headers" |
/// | content | any bytes not containing `D` | caller's bytes, unscanned (random `B`) | handed over as slices of the input |
/// | between parts | `D` then optional padding, CRLF | `D` CRLF | the CRLF before `--B` belongs to `D`, not the content |
/// | close | `D--` (or `--B--` when there are no parts) | then CRLF | ends the body |
/// | epilogue | anything after the close | writes none | ignores it |
/// | `D` followed by anything else | — | never | `.malformedDelimiter` (Go would take it for content) |
///
/// Content-Disposition is `form-data; name="…"` plus `; filename="…"` for files. Quoted
/// values escape `\` and `"` with a backslash (as Go's writer); the writer turns CR and LF into
/// `%0D`/`%0A` (as browsers) so no value can break its header line. The reader also takes
/// unquoted tokens and RFC 8187 `filename*=UTF-8''…` (preferred over `filename`). A part
/// without Content-Type is `text/plain` (RFC 7578 §4.4). Golden bytes: `MultipartFormatTests`.
enum MultipartFormat {
    /// The delimiter `D` that ends a part's content: CRLF `--` boundary.
    static func delimiter(_ boundary: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4 + boundary.utf8.count)
        bytes.append(contentsOf: "\r\n--".utf8)
        bytes.append(contentsOf: boundary.utf8)
        return bytes
    }

    /// The bytes that open a part: the delimiter (without its CRLF for the first part), CRLF.
    static func opening(_ boundary: String, isFirst: Bool) -> String {
        var bytes: [UInt8] = []
        appendOpening(boundary, isFirst: isFirst, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The close delimiter and its CRLF (without the leading CRLF when there are no parts).
    static func closing(_ boundary: String, hasParts: Bool) -> String {
        var bytes: [UInt8] = []
        appendClosing(boundary, hasParts: hasParts, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `opening(boundary, isFirst:)` to `out`.
    static func appendOpening(_ boundary: String, isFirst: Bool, to out: inout [UInt8]) {
        if !isFirst { out.append(contentsOf: "\r\n".utf8) }
        out.append(contentsOf: "--".utf8)
        out.append(contentsOf: boundary.utf8)
        out.append(contentsOf: "\r\n".utf8)
    }

    /// Appends `closing(boundary, hasParts:)` to `out`.
    static func appendClosing(_ boundary: String, hasParts: Bool, to out: inout [UInt8]) {
        if hasParts { out.append(contentsOf: "\r\n".utf8) }
        out.append(contentsOf: "--".utf8)
        out.append(contentsOf: boundary.utf8)
        out.append(contentsOf: "--\r\n".utf8)
    }

    /// Bytes of `closing(boundary, hasParts:)`.
    static func closingSize(_ boundary: String, hasParts: Bool) -> Int {
        (hasParts ? 2 : 0) + 2 + boundary.utf8.count + 4
    }
}
