import BFSHTTP
import Foundation

/// The console's static files (plain HTML, CSS and JavaScript from the `ops/` folder), read
/// once at startup so serving them never touches the disk on a loop thread. `/` is
/// `index.html`, `/login` is `login.html`. Every page forbids framing and loads nothing from
/// other origins (`Content-Security-Policy: default-src 'self'`).
struct OpsAssets: Sendable {
    struct Asset: Sendable {
        var bytes: [UInt8]
        var type: String
    }

    let files: [String: Asset]

    /// Reads every regular file directly inside `directory` (no links, no directories); throws
    /// when it holds no `index.html`.
    init(directory: String) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var files: [String: Asset] = [:]
        for name in names where !name.hasPrefix(".") {
            let path = "\(directory)/\(name)"
            // Regular files only: the UI is served without a login, so a symbolic link here must
            // not publish whatever it points at (attributesOfItem does not follow the last link).
            guard let type = try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType,
                  type == .typeRegular, let data = FileManager.default.contents(atPath: path) else { continue }
            files["/" + name] = Asset(bytes: Array(data), type: Self.type(of: name))
        }
        guard files["/index.html"] != nil else {
            throw OpsService.StartupError(description: "ops.assets_dir \(directory) holds no index.html")
        }
        self.files = files
    }

    /// Answers a GET for a UI file.
    func serve(_ ex: HTTPServerExchange) {
        let path = ex.head.path == "/" ? "/index.html" : ex.head.path == "/login" ? "/login.html" : ex.head.path
        guard let asset = files[path] else {
            return ex.respond(status: .notFound, headers: ["Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"],
                              body: .bytes(Array("not found\n".utf8)))
        }
        ex.respond(status: .ok, headers: [
            "Content-Type": asset.type, "Cache-Control": "no-cache",
            "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
            "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
        ], body: .bytes(asset.bytes))
    }

    private static func type(of name: String) -> String {
        switch (name as NSString).pathExtension {
        case "html": "text/html; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        default: "application/octet-stream"
        }
    }
}
