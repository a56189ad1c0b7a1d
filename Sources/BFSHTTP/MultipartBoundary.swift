import BFSCore

/// Extracts, checks and makes multipart boundaries (RFC 2046 §5.1.1).
///
/// A boundary is 1 to 70 characters from `bchars` (digits, letters, `'()+_,-./:=?` and space),
/// not ending in a space. The parser relies on this: since a boundary never holds a CR, the
/// delimiter `CRLF--boundary` can only begin at a CR, which keeps the scan a `memchr`.
public enum MultipartBoundary {
    /// The longest boundary RFC 2046 allows.
    public static let maxSize = 70

    /// The boundary parameter of a `multipart/…` Content-Type value (quoted or not, anywhere
    /// among other parameters, parameter name case-insensitive).
    public static func extract(fromContentType contentType: String) throws(FormDataError)
        -> String
    {
        let parsed = try MultipartHeaderValue(parsing: contentType)
        guard MultipartHeaderValue.hasPrefixIgnoringASCIICase(parsed.value, "multipart/") else {
            throw .notMultipart(contentType: contentType)
        }
        guard let boundary = parsed.parameter("boundary") else { throw .missingBoundary }
        try validate(boundary)
        return boundary
    }

    /// Throws `.invalidBoundary` unless `boundary` is legal per RFC 2046.
    public static func validate(_ boundary: String) throws(FormDataError) {
        let bytes = boundary.utf8
        guard (1...maxSize).contains(bytes.count), bytes.last != UInt8(ascii: " "),
              bytes.allSatisfy(isBoundaryByte)
        else { throw .invalidBoundary(boundary) }
    }

    /// Whether `byte` is in RFC 2046 `bchars`.
    static func isBoundaryByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        default:
            return "'()+_,-./:=? ".utf8.contains(byte)
        }
    }

    /// A fresh random boundary: a fixed prefix and 32 hex digits (128 random bits), so the
    /// chance that it occurs inside any file is negligible without scanning the data for it.
    public static func makeRandom() -> String {
        var generator = PooledSystemRandom()
        let prefix = "bfs-boundary-".utf8
        // 128 random bits, 4 per digit: two draws from the pooled kernel CSPRNG.
        let words = (generator.next() as UInt64, generator.next() as UInt64)
        return String(unsafeUninitializedCapacity: prefix.count + 32) { buffer in
            var at = 0
            for byte in prefix {
                buffer[at] = byte
                at += 1
            }
            for half in 0..<2 {
                var word = half == 0 ? words.0 : words.1
                for _ in 0..<16 {
                    let nibble = UInt8(word & 0x0F)
                    buffer[at] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
                    at += 1
                    word >>= 4
                }
            }
            return at
        }
    }
}
