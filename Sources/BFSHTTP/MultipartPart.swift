/// The parsed headers of one multipart part, handed to the delegate when the part begins.
public struct MultipartPart: Equatable, Sendable {
    /// Every header line in order, the name as sent and the value trimmed.
    public var headers: [FormFields.Pair]
    /// The Content-Disposition `name` parameter (the form field name), if present.
    public var name: String?
    /// The Content-Disposition `filename` (or decoded `filename*`), if present.
    public var filename: String?
    /// The part's Content-Type value as sent; RFC 7578 §4.4 says absent means `text/plain`.
    public var contentType: String?

    /// A part from already-decoded pieces (for writers and tests).
    public init(name: String?, filename: String? = nil, contentType: String? = nil,
                headers: [FormFields.Pair] = [])
    {
        self.name = name
        self.filename = filename
        self.contentType = contentType
        self.headers = headers
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
    init(parsingHeaderBlock block: ArraySlice<UInt8>) throws(FormDataError) {
        headers = []
        // A form part has one or two headers (Content-Disposition, Content-Type): one allocation.
        headers.reserveCapacity(2)
        var lineStart = block.startIndex
        while lineStart < block.endIndex {
            var lineEnd = lineStart
            while block[lineEnd] != UInt8(ascii: "\r") && block[lineEnd] != UInt8(ascii: "\n") {
                lineEnd += 1
            }
            let line = block[lineStart..<lineEnd]
            // The block always ends in CRLF, so `lineEnd + 1` exists.
            guard block[lineEnd] == UInt8(ascii: "\r"), block[lineEnd + 1] == UInt8(ascii: "\n")
            else { throw .malformedPartHeader(String(decoding: line, as: UTF8.self)) }
            lineStart = lineEnd + 2
            if let first = line.first, MultipartHeaderValue.isSpace(first) {
                guard !headers.isEmpty else {
                    throw .malformedPartHeader(String(decoding: line, as: UTF8.self))
                }
                let more = MultipartHeaderValue.trimmed(line)
                headers[headers.count - 1].value += " " + more
                continue
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                  !line[..<colon].contains(where: MultipartHeaderValue.isSpace)
            else { throw .malformedPartHeader(String(decoding: line, as: UTF8.self)) }
            headers.append(.init(name: String(decoding: line[..<colon], as: UTF8.self),
                                 value: MultipartHeaderValue.trimmed(line[(colon + 1)...])))
        }
        contentType = nil
        name = nil
        filename = nil
        contentType = header("content-type")
        if let disposition = header("content-disposition") {
            let parsed = try MultipartHeaderValue(parsing: disposition)
            name = parsed.parameter("name")
            filename = parsed.parameter("filename")
            if let extended = parsed.parameter("filename*"), let decoded = Self.decodeExtended(extended) {
                filename = decoded
            }
        }
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
