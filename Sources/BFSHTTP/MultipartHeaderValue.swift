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
        var utf8 = text
        let parsed = utf8.withUTF8 { Self.parse($0) }
        guard let parsed else { throw .malformedHeaderValue(text) }
        (value, parameters) = parsed
    }

    /// The leading token and the parameters of `bytes`, or nil if malformed.
    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> (String, [FormFields.Pair])? {
        var parameters: [FormFields.Pair] = []
        let value = scan(bytes, 0, bytes.count) { name, value in
            if parameters.isEmpty { parameters.reserveCapacity(4) }
            parameters.append(.init(name: name, value: value))
        }
        guard let value else { return nil }
        return (value, parameters)
    }

    /// Reads the header value `bytes[from..<to]` in place: returns its leading token and hands
    /// each parameter (name lower-cased, value unquoted) to `parameter`, in order; nil if
    /// malformed. Only the strings it hands out are allocated, and strings of up to 15 bytes
    /// (`name`, `file`, most field names) are not even those. Plain index loops, no generic
    /// slices or escaping closures, so unoptimised builds do not allocate for them either.
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int,
                     parameter: (String, String) -> Void) -> String? {
        let n = to
        var p = from
        while p < n && bytes[p] != UInt8(ascii: ";") { p += 1 }
        let value = trimmed(bytes, from, p)
        while p < n {
            // Here bytes[p] is ';' (or whitespace before one).
            p = skipSpace(bytes, p, n)
            guard p < n else { break }
            guard bytes[p] == UInt8(ascii: ";") else { return nil }
            p = skipSpace(bytes, p + 1, n)
            guard p < n else { break }
            let nameStart = p
            while p < n, !isSeparator(bytes[p]) { p += 1 }
            let name = lowercased(bytes, nameStart, p)
            p = skipSpace(bytes, p, n)
            guard !name.isEmpty, p < n, bytes[p] == UInt8(ascii: "=") else { return nil }
            p = skipSpace(bytes, p + 1, n)
            let raw: String
            if p < n && bytes[p] == UInt8(ascii: "\"") {
                p += 1
                let valueStart = p
                var escaped = false
                var closed = false
                while p < n {
                    let byte = bytes[p]
                    if byte == UInt8(ascii: "\"") { closed = true; break }
                    if byte == UInt8(ascii: "\\") && p + 1 < n {
                        escaped = true
                        p += 1
                    }
                    p += 1
                }
                guard closed else { return nil }
                raw = escaped ? unescaped(bytes, valueStart, p) : string(bytes, valueStart, p)
                p += 1
            } else {
                let valueStart = p
                while p < n, !isSeparator(bytes[p]) { p += 1 }
                raw = string(bytes, valueStart, p)
            }
            parameter(name, raw)
        }
        return value
    }

    /// `bytes[from..<to]` as a string.
    static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[from..<to]), as: UTF8.self)
    }

    /// A quoted string's content with its backslash escapes undone (RFC 9110 §5.6.4).
    private static func unescaped(_ bytes: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(to - from)
        var p = from
        while p < to {
            if bytes[p] == UInt8(ascii: "\\") && p + 1 < to { p += 1 }
            out.append(bytes[p])
            p += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A parameter name lower-cased (names are case-insensitive); an ASCII name is lowered byte
    /// by byte, without the intermediate string `String.lowercased()` makes.
    private static func lowercased(_ bytes: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> String {
        var upper = false
        var p = from
        while p < to {
            let byte = bytes[p]
            if byte >= 0x80 { return string(bytes, from, to).lowercased() }
            if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") { upper = true }
            p += 1
        }
        guard upper else { return string(bytes, from, to) }
        return String(unsafeUninitializedCapacity: to - from) { out in
            var i = 0
            while i < to - from {
                out[i] = asciiLower(bytes[from + i])
                i += 1
            }
            return to - from
        }
    }

    /// `byte` with an ASCII upper-case letter lowered.
    static func asciiLower(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    /// Whether `a` and `b` are equal ignoring case, as `a.lowercased() == b.lowercased()` is for
    /// header and parameter names, without allocating when both are ASCII.
    static func equalIgnoringCase(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        // Lower-casing can change the length only outside ASCII, where this falls back to it.
        let outcome: Bool? = a.withUTF8 { x in
            b.withUTF8 { y in
                var i = 0
                while i < x.count && i < y.count {
                    if x[i] >= 0x80 || y[i] >= 0x80 { return nil }
                    if asciiLower(x[i]) != asciiLower(y[i]) { return false }
                    i += 1
                }
                while i < x.count { if x[i] >= 0x80 { return nil }; i += 1 }
                while i < y.count { if y[i] >= 0x80 { return nil }; i += 1 }
                return x.count == y.count
            }
        }
        return outcome ?? (a.lowercased() == b.lowercased())
    }

    /// Whether `text` starts with the ASCII `prefix` ignoring case (`text.lowercased().hasPrefix`
    /// for a lower-case ASCII prefix, without the lower-cased copy).
    static func hasPrefixIgnoringASCIICase(_ text: String, _ prefix: String) -> Bool {
        var text = text, prefix = prefix
        return text.withUTF8 { x in
            prefix.withUTF8 { y in
                guard x.count >= y.count else { return false }
                var i = 0
                while i < y.count {
                    if asciiLower(x[i]) != y[i] { return false }
                    i += 1
                }
                return true
            }
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
    private static func skipSpace(_ bytes: UnsafeBufferPointer<UInt8>, _ p: Int, _ end: Int) -> Int {
        var p = p
        while p < end && isSpace(bytes[p]) { p += 1 }
        return p
    }

    /// `bytes` as a string without leading and trailing whitespace.
    static func trimmed(_ bytes: ArraySlice<UInt8>) -> String {
        var slice = bytes
        while let first = slice.first, isSpace(first) { slice = slice.dropFirst() }
        while let last = slice.last, isSpace(last) { slice = slice.dropLast() }
        return String(decoding: slice, as: UTF8.self)
    }

    /// `bytes[from..<to]` as a string without leading and trailing whitespace.
    static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> String {
        var from = from, to = to
        while from < to && isSpace(bytes[from]) { from += 1 }
        while to > from && isSpace(bytes[to - 1]) { to -= 1 }
        return string(bytes, from, to)
    }
}
