/// The `Content-Type` `bfs put` sends when none is given: guessed from the file's extension.
///
/// | Extension (any case) | Type |
/// |---|---|
/// | jpg, jpeg | image/jpeg |
/// | png, gif, webp, avif | image/png, image/gif, image/webp, image/avif |
/// | svg | image/svg+xml |
/// | txt, html, css | text/plain, text/html, text/css (UTF-8) |
/// | js | text/javascript (UTF-8) |
/// | json | application/json |
/// | mp4 | video/mp4 |
/// | pdf | application/pdf |
/// | anything else, or none | application/octet-stream |
public enum ContentTypes {
    /// The type for an unknown extension.
    public static let fallback = "application/octet-stream"

    /// The table above, keyed by lower-case extension.
    static let byExtension: [String: String] = [
        "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif",
        "webp": "image/webp", "avif": "image/avif", "svg": "image/svg+xml",
        "txt": "text/plain; charset=utf-8", "html": "text/html; charset=utf-8",
        "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
        "json": "application/json", "mp4": "video/mp4", "pdf": "application/pdf",
    ]

    /// The type of the file at `path` (only its last segment's extension counts).
    public static func guess(forPath path: String) -> String {
        let name = path.split(separator: "/").last ?? ""
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return fallback }
        return byExtension[name[name.index(after: dot)...].lowercased()] ?? fallback
    }
}
