import Testing
@testable import BFSClient

@Suite struct ContentTypeTests {
    @Test(arguments: [
        ("cat.jpg", "image/jpeg"), ("CAT.JPEG", "image/jpeg"), ("a.png", "image/png"), ("a.gif", "image/gif"),
        ("a.webp", "image/webp"), ("a.avif", "image/avif"), ("a.svg", "image/svg+xml"),
        ("a.txt", "text/plain; charset=utf-8"), ("a.json", "application/json"),
        ("a.html", "text/html; charset=utf-8"), ("a.css", "text/css; charset=utf-8"),
        ("a.js", "text/javascript; charset=utf-8"), ("a.mp4", "video/mp4"), ("a.pdf", "application/pdf"),
        ("/tmp/dir.jpg/file", "application/octet-stream"), ("a.tar.gz", "application/octet-stream"),
        ("README", "application/octet-stream"), (".jpg", "application/octet-stream"),
        ("photos/x.Png", "image/png"),
    ])
    func guesses(path: String, type: String) {
        #expect(ContentTypes.guess(forPath: path) == type)
    }
}
