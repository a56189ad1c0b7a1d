/// Parses and builds `application/x-www-form-urlencoded` text: URL query strings and form bodies.
///
/// Grammar (WHATWG URL §5, which is what Go's `url.ParseQuery` and browsers agree on):
///
/// | Input | Result |
/// |---|---|
/// | `a=1&b=2` | pairs split on `&`, name and value split on the first `=` |
/// | `c` | name `c`, empty value |
/// | `=x` | empty name, value `x` |
/// | `a=1&&b=2`, trailing `&` | empty segments are skipped |
/// | `+` | a space (before percent-decoding, so `%2B` stays a plus) |
/// | `%XX` | the byte 0xXX, hex case-insensitive; a `%` without two hex digits is an error |
/// | `;` | an ordinary byte, not a separator |
///
/// Decoded bytes that are not valid UTF-8 are repaired with U+FFFD rather than rejected: bfs
/// parameters are decimal numbers, so a bad byte fails later with a clear "bad vid" anyway.
public enum QueryString {
    /// Bounds on what one query or body may hold; exceeding one throws a 413-class error.
    public struct Limits: Sendable, Equatable {
        /// Most pairs accepted (empty segments are not counted).
        public var maxPairs: Int
        /// Most encoded bytes in one `name=value` segment.
        public var maxPairSize: Int

        /// Limits; the defaults (1,000 pairs, 64 KiB a pair) are Go's `maxFormPairs`-like
        /// generosity, far above the handful of parameters bfs endpoints take.
        public init(maxPairs: Int = 1000, maxPairSize: Int = 64 * 1024) {
            self.maxPairs = maxPairs
            self.maxPairSize = maxPairSize
        }
    }

    /// Parses a raw query (the part after `?`, without the `#fragment`).
    public static func parse(_ query: String, limits: Limits = Limits()) throws(FormDataError)
        -> FormFields
    {
        var text = query
        // `withUTF8` only rethrows untyped errors, so the typed result travels out in a Result.
        let result = text.withUTF8 { utf8 in
            Result { () throws(FormDataError) in
                try parse(bytes: UnsafeRawBufferPointer(utf8), limits: limits)
            }
        }
        return try result.get()
    }

    /// Parses encoded bytes: a query or a whole `application/x-www-form-urlencoded` body.
    public static func parse(bytes: UnsafeRawBufferPointer, limits: Limits = Limits())
        throws(FormDataError) -> FormFields
    {
        var fields = FormFields()
        var scratch: [UInt8] = []
        var segmentStart = 0
        let end = bytes.count
        while segmentStart < end {
            var segmentEnd = segmentStart
            while segmentEnd < end && bytes[segmentEnd] != UInt8(ascii: "&") { segmentEnd += 1 }
            if segmentEnd > segmentStart {
                if segmentEnd - segmentStart > limits.maxPairSize {
                    throw .pairTooLarge(limit: limits.maxPairSize)
                }
                if fields.count == limits.maxPairs { throw .tooManyPairs(limit: limits.maxPairs) }
                var equals = segmentStart
                while equals < segmentEnd && bytes[equals] != UInt8(ascii: "=") { equals += 1 }
                let name = try decode(bytes, segmentStart..<equals, into: &scratch)
                let valueStart = Swift.min(equals + 1, segmentEnd)
                let value = try decode(bytes, valueStart..<segmentEnd, into: &scratch)
                fields.append(name: name, value: value)
            }
            segmentStart = segmentEnd + 1
        }
        return fields
    }

    /// Percent-decodes `range` of `bytes` with `+` as space; `scratch` is reused across calls.
    static func decode(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>,
                       into scratch: inout [UInt8]) throws(FormDataError) -> String
    {
        scratch.removeAll(keepingCapacity: true)
        var i = range.lowerBound
        while i < range.upperBound {
            let byte = bytes[i]
            if byte == UInt8(ascii: "%") {
                guard i + 2 < range.upperBound, let high = hexValue(bytes[i + 1]),
                      let low = hexValue(bytes[i + 2])
                else { throw .malformedPercentEscape(offset: i) }
                scratch.append(high << 4 | low)
                i += 3
            } else {
                scratch.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                i += 1
            }
        }
        return String(decoding: scratch, as: UTF8.self)
    }

    /// The value of one hex digit, or nil.
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Encodes fields as `name=value&…` (the inverse of ``parse(_:limits:)``).
    ///
    /// Letters, digits and `-._~` pass through, space becomes `+`, every other byte `%XX`
    /// (upper-case hex), matching Go's `url.QueryEscape` so bfs peers decode it identically.
    public static func encode(_ fields: FormFields) -> String {
        String(decoding: encodedBytes(fields), as: UTF8.self)
    }

    /// `encode(fields)` as bytes (a request body), built in one buffer sized for the common
    /// case of few escapes.
    public static func encodedBytes(_ fields: FormFields) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(fields.pairs.reduce(16) { $0 + $1.name.utf8.count + $1.value.utf8.count + 2 } * 5 / 4)
        for (index, pair) in fields.pairs.enumerated() {
            if index > 0 { out.append(UInt8(ascii: "&")) }
            escape(pair.name, into: &out)
            out.append(UInt8(ascii: "="))
            escape(pair.value, into: &out)
        }
        return out
    }

    /// Appends the form-encoding of one name or value.
    static func escape(_ text: String, into out: inout [UInt8]) {
        let hex: StaticString = "0123456789ABCDEF"
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: " "):
                out.append(UInt8(ascii: "+"))
            default:
                out.append(UInt8(ascii: "%"))
                hex.withUTF8Buffer { digits in
                    out.append(digits[Int(byte >> 4)])
                    out.append(digits[Int(byte & 0x0F)])
                }
            }
        }
    }
}
