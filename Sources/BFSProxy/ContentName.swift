import Crypto

/// Content-addressed filenames (DESIGN §7): a PUT whose filename is empty or ends in `/` is
/// stored under the content's SHA-1, inside that "directory".
///
/// | Filename sent | Content-Type | Stored as |
/// |---|---|---|
/// | `` | `image/jpeg` | `<sha1>.jpg` |
/// | `avatars/` | `image/png` | `avatars/<sha1>.png` |
/// | `a/` | `image/svg+xml; charset=utf-8` | `a/<sha1>.svg` (parameters and `+suffix` dropped) |
/// | `` | absent, `*`, or a subtype that is not `[a-z0-9.-]` | `<sha1>` |
/// | `x.jpg` | any | `x.jpg` (named explicitly: unchanged) |
///
/// The extension is the MIME subtype lower-cased, as bfs did, except that `jpeg` becomes the
/// customary `jpg`. `<sha1>` is 40 lower-case hex digits, so equal content under one prefix gets
/// one name and a re-upload is an overwrite with the same bytes.
public enum ContentName {
    /// bfs's limit on the stored filename, in bytes.
    public static let maxFilenameSize = 100

    /// Whether `filename` asks to be named by content.
    public static func isContentAddressed(_ filename: String) -> Bool {
        filename.isEmpty || filename.hasSuffix("/")
    }

    /// The filename to store a PUT of `filename` under, given the content's hex SHA-1.
    public static func resolve(_ filename: String, sha1: String, contentType: String?) throws(ProxyError) -> String {
        var name = filename
        if isContentAddressed(filename) {
            name += sha1
            if let ext = fileExtension(contentType: contentType) { name += "." + ext }
        }
        guard name.utf8.count <= maxFilenameSize else { throw .filenameTooLong(size: name.utf8.count) }
        return name
    }

    /// The lower-case hex SHA-1 of `content`.
    public static func sha1Hex(_ content: some Sequence<UInt8>) -> String {
        var hasher = Insecure.SHA1()
        hasher.update(data: Array(content))
        return hex(hasher.finalize())
    }

    /// Lower-case hex of a digest.
    public static func hex(_ digest: Insecure.SHA1Digest) -> String {
        String(unsafeUninitializedCapacity: Insecure.SHA1Digest.byteCount * 2) { out in
            var at = 0
            for byte in digest {
                out[at] = hexDigit(byte >> 4)
                out[at + 1] = hexDigit(byte & 0x0F)
                at += 2
            }
            return at
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    /// The extension a MIME type gives, or nil.
    static func fileExtension(contentType: String?) -> String? {
        guard let contentType else { return nil }
        let mediaType = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
        let parts = mediaType.trimmedOWS().lowercased().split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let subtype = parts[1].split(separator: "+", maxSplits: 1, omittingEmptySubsequences: false)[0]
        guard !subtype.isEmpty, subtype.utf8.allSatisfy(isExtensionByte) else { return nil }
        return subtype == "jpeg" ? "jpg" : String(subtype)
    }

    /// Lower-case letters, digits, `.` and `-`: safe in a filename and a URL.
    static func isExtensionByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
    }
}
