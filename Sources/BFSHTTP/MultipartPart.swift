/// The parsed headers of one multipart part, handed to the delegate when the part begins.
///
/// A parsed part keeps its header block as it came and decodes the header list and the
/// Content-Type only when asked: a form upload's parts are routed by `name` and `filename`,
/// which are read at once, so the common path builds no header strings.
public struct MultipartPart: Equatable, Sendable {
    /// The header block (without the blank line), for a parsed part without folded lines;
    /// `headers` and `contentType` decode it on demand. Nil when they are stored.
    private var block: ArraySlice<UInt8>?
    private var storedHeaders: [FormFields.Pair] = []
    /// The Content-Type given or set; `.none` while it is still the block's own.
    private var storedContentType: String??

    /// Every header line in order, the name as sent and the value trimmed.
    public var headers: [FormFields.Pair] {
        get { block.map { Self.decodeHeaders($0) } ?? storedHeaders }
        set {
            if storedContentType == nil { storedContentType = .some(contentType) }
            storedHeaders = newValue
            block = nil
        }
    }
    /// The Content-Disposition `name` parameter (the form field name), if present.
    public var name: String?
    /// The Content-Disposition `filename` (or decoded `filename*`), if present.
    public var filename: String?
    /// The part's Content-Type value as sent; RFC 7578 §4.4 says absent means `text/plain`.
    public var contentType: String? {
        get { storedContentType ?? header("content-type") }
        set { storedContentType = .some(newValue) }
    }

    /// A part from already-decoded pieces (for writers and tests).
    public init(name: String?, filename: String? = nil, contentType: String? = nil,
                headers: [FormFields.Pair] = [])
    {
        self.name = name
        self.filename = filename
        self.storedContentType = .some(contentType)
        self.storedHeaders = headers
    }

    /// Parts are equal when what they expose is.
    public static func == (a: MultipartPart, b: MultipartPart) -> Bool {
        a.name == b.name && a.filename == b.filename && a.contentType == b.contentType && a.headers == b.headers
    }

    /// Whether the part carries a file: it has a `filename`, the rule Go's `ParseMultipartForm`
    /// and browsers use (a file input with no file chosen still sends `filename=""`).
    public var isFile: Bool { filename != nil }

    /// The value of the first header named `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { MultipartHeaderValue.equalIgnoringCase($0.name, name) }?.value
    }

    /// Parses a header block in which every line, including the last, ends with CRLF.
    ///
    /// Lines starting with a space or tab continue the previous header (obsolete folding,
    /// RFC 9112 §5.2), joined with one space. A bare CR or LF anywhere is rejected so that a
    /// smuggled line break cannot forge a header.
    ///
    /// The lines are checked here and Content-Disposition is read in place; the header list is
    /// decoded now only if a line is folded, else on demand from the kept block.
    init(parsingHeaderBlock block: ArraySlice<UInt8>) throws(FormDataError) {
        var folded = false
        var headerCount = 0
        var disposition: Range<Int>? = nil
        var lineStart = block.startIndex
        while lineStart < block.endIndex {
            var lineEnd = lineStart
            while block[lineEnd] != UInt8(ascii: "\r") && block[lineEnd] != UInt8(ascii: "\n") {
                lineEnd += 1
            }
            // The block always ends in CRLF, so `lineEnd + 1` exists.
            guard block[lineEnd] == UInt8(ascii: "\r"), block[lineEnd + 1] == UInt8(ascii: "\n")
            else { throw .malformedPartHeader(String(decoding: block[lineStart..<lineEnd], as: UTF8.self)) }
            let start = lineStart
            lineStart = lineEnd + 2
            if start < lineEnd, MultipartHeaderValue.isSpace(block[start]) {
                guard headerCount > 0 else {
                    throw .malformedPartHeader(String(decoding: block[start..<lineEnd], as: UTF8.self))
                }
                folded = true
                continue
            }
            var colon = start
            while colon < lineEnd && block[colon] != UInt8(ascii: ":") {
                if MultipartHeaderValue.isSpace(block[colon]) { colon = lineEnd; break }
                colon += 1
            }
            guard colon < lineEnd, colon > start
            else { throw .malformedPartHeader(String(decoding: block[start..<lineEnd], as: UTF8.self)) }
            headerCount += 1
            if disposition == nil && Self.isDisposition(block, start, colon) { disposition = (colon + 1)..<lineEnd }
        }
        name = nil
        filename = nil
        if folded {
            // Rare (obsolete folding): decode everything now, the value may span lines.
            storedHeaders = Self.decodeHeaders(block)
            storedContentType = .some(storedHeaders.first {
                MultipartHeaderValue.equalIgnoringCase($0.name, "content-type")
            }?.value)
            if let text = storedHeaders.first(where: {
                MultipartHeaderValue.equalIgnoringCase($0.name, "content-disposition")
            })?.value {
                try readDisposition(Array(text.utf8)[...], 0..<text.utf8.count)
            }
            return
        }
        self.block = block
        storedContentType = nil
        if let disposition { try readDisposition(block, disposition) }
    }

    /// Sets `name` and `filename` from the Content-Disposition value `bytes[range]`.
    private mutating func readDisposition(_ bytes: ArraySlice<UInt8>, _ range: Range<Int>) throws(FormDataError) {
        var name: String? = nil, filename: String? = nil, extended: String? = nil
        let token: String? = bytes.withUnsafeBufferPointer { buffer in
            let base = bytes.startIndex
            return MultipartHeaderValue.scan(buffer, range.lowerBound - base, range.upperBound - base) { key, value in
                switch key {
                case "name": if name == nil { name = value }
                case "filename": if filename == nil { filename = value }
                case "filename*": if extended == nil { extended = value }
                default: break
                }
            }
        }
        guard token != nil else {
            throw .malformedHeaderValue(MultipartHeaderValue.trimmed(bytes[range]))
        }
        self.name = name
        self.filename = filename
        if let extended, let decoded = Self.decodeExtended(extended) { self.filename = decoded }
    }

    /// Whether `block[from..<to]` is `Content-Disposition`, in any case.
    private static func isDisposition(_ block: ArraySlice<UInt8>, _ from: Int, _ to: Int) -> Bool {
        let wanted: StaticString = "content-disposition"
        guard to - from == wanted.utf8CodeUnitCount else { return false }
        let w = wanted.utf8Start
        var i = 0
        while i < to - from {
            if MultipartHeaderValue.asciiLower(block[from + i]) != w[i] { return false }
            i += 1
        }
        return true
    }

    /// The header list of a block whose lines were checked: names as sent, values trimmed,
    /// folded lines joined to the previous value with one space.
    private static func decodeHeaders(_ block: ArraySlice<UInt8>) -> [FormFields.Pair] {
        var headers: [FormFields.Pair] = []
        headers.reserveCapacity(2)
        var lineStart = block.startIndex
        while lineStart < block.endIndex {
            var lineEnd = lineStart
            while block[lineEnd] != UInt8(ascii: "\r") { lineEnd += 1 }
            let line = block[lineStart..<lineEnd]
            lineStart = lineEnd + 2
            if let first = line.first, MultipartHeaderValue.isSpace(first) {
                if !headers.isEmpty { headers[headers.count - 1].value += " " + MultipartHeaderValue.trimmed(line) }
                continue
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            headers.append(.init(name: String(decoding: line[..<colon], as: UTF8.self),
                                 value: MultipartHeaderValue.trimmed(line[(colon + 1)...])))
        }
        return headers
    }

    /// Decodes an RFC 8187 `UTF-8''percent%20encoded` value; nil for other charsets or bad
    /// escapes, in which case the plain `filename` stays in use.
    static func decodeExtended(_ value: String) -> String? {
        let pieces = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard pieces.count == 3, pieces[0].lowercased() == "utf-8" else { return nil }
        var out: [UInt8] = []
        var bytes = Array(pieces[2].utf8)[...]
        while let byte = bytes.popFirst() {
            if byte == UInt8(ascii: "%") {
                guard bytes.count >= 2, let high = QueryString.hexValue(bytes.removeFirst()),
                      let low = QueryString.hexValue(bytes.removeFirst()) else { return nil }
                out.append(high << 4 | low)
            } else {
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
