/// A header value split into its leading token and `;`-separated parameters.
///
/// Grammar of RFC 9110 §5.6.6 (`value *( OWS ";" OWS name "=" ( token / quoted-string ) )`),
/// used for Content-Type and Content-Disposition. Quoted strings undo backslash escapes
/// (RFC 9110 §5.6.4); a trailing `;` is tolerated because common clients send one.
struct MultipartHeaderValue: Equatable {
    /// The leading token (`multipart/form-data`, `form-data`), trimmed, case kept.
    var value: String
    /// Parameters in order; names are lower-cased since they are case-insensitive.
    var parameters: [FormFields.Pair]

    /// Parses a header value; throws `.malformedHeaderValue` on unterminated quotes or
    /// parameters without `=`.
    init(parsing text: String) throws(FormDataError) {
        let bytes = Array(text.utf8)
        let n = bytes.count
        var p = 0
        while p < n && bytes[p] != UInt8(ascii: ";") { p += 1 }
        value = Self.trimmed(bytes[0..<p])
        parameters = []
        while p < n {
            // Here bytes[p] is ';' (or whitespace before one).
            p = Self.skipSpace(bytes, p)
            guard p < n else { break }
            guard bytes[p] == UInt8(ascii: ";") else { throw .malformedHeaderValue(text) }
            p = Self.skipSpace(bytes, p + 1)
            guard p < n else { break }
            let nameStart = p
            while p < n, !Self.isSeparator(bytes[p]) { p += 1 }
            let name = String(decoding: bytes[nameStart..<p], as: UTF8.self).lowercased()
            p = Self.skipSpace(bytes, p)
            guard !name.isEmpty, p < n, bytes[p] == UInt8(ascii: "=") else {
                throw .malformedHeaderValue(text)
            }
            p = Self.skipSpace(bytes, p + 1)
            var raw: [UInt8] = []
            if p < n && bytes[p] == UInt8(ascii: "\"") {
                p += 1
                var closed = false
                while p < n {
                    let byte = bytes[p]
                    if byte == UInt8(ascii: "\"") { closed = true; p += 1; break }
                    if byte == UInt8(ascii: "\\") && p + 1 < n { p += 1 }
                    raw.append(bytes[p])
                    p += 1
                }
                guard closed else { throw .malformedHeaderValue(text) }
            } else {
                while p < n, !Self.isSeparator(bytes[p]) { raw.append(bytes[p]); p += 1 }
            }
            parameters.append(.init(name: name, value: String(decoding: raw, as: UTF8.self)))
        }
    }

    /// The value of the parameter `name` (lower-case), or nil.
    func parameter(_ name: String) -> String? {
        parameters.first { $0.name == name }?.value
    }

    /// Whether `byte` ends a parameter name or an unquoted value.
    private static func isSeparator(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ";") || byte == UInt8(ascii: "=") || isSpace(byte)
    }

    /// Optional whitespace (RFC 9110 OWS).
    static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    /// The first index at or after `p` that is not whitespace.
    private static func skipSpace(_ bytes: [UInt8], _ p: Int) -> Int {
        var p = p
        while p < bytes.count && isSpace(bytes[p]) { p += 1 }
        return p
    }

    /// `bytes` as a string without leading and trailing whitespace.
    static func trimmed(_ bytes: ArraySlice<UInt8>) -> String {
        var slice = bytes
        while let first = slice.first, isSpace(first) { slice = slice.dropFirst() }
        while let last = slice.last, isSpace(last) { slice = slice.dropLast() }
        return String(decoding: slice, as: UTF8.self)
    }
}
