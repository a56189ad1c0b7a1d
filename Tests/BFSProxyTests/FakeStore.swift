import BFSHTTP
import BFSLoop
import BFSTestSupport
import Foundation

/// A stand-in for a store's api listener that counts what it is asked: `POST /upload`
/// (multipart: `vid`, `key`, `cookie`, `file`), `GET|HEAD /get` (a single `Range` honoured),
/// `POST /del`. `failUploads` makes uploads answer `{"ret":65535}`; `dropConnections` makes
/// reads fail at the transport level; `ignoreRange` answers as a Go bfs store, which knows no `Range`.
final class FakeStore: Sendable {
    let server: HTTPServer
    let port: Int
    /// Needle key -> bytes.
    let needles = Locked<[Int64: [UInt8]]>([:])
    /// `GET`/`HEAD /get` requests received.
    let reads = Locked(0)
    /// Keys of `POST /upload` requests received (acknowledged or not).
    let uploads = Locked<[Int64]>([])
    /// Keys of `POST /del` requests received.
    let deletes = Locked<[Int64]>([])
    /// Answer uploads with a failure.
    let failUploads = Locked(false)
    /// How a read body is cut short (a store dying mid-body).
    enum Cut: Sendable {
        /// Not at all.
        case none
        /// After the first half of the body.
        case half
        /// Right after the head.
        case afterHead
    }
    /// Cut every read body.
    let cutReads = Locked(Cut.none)
    /// Never answer reads (a hung store).
    let hangReads = Locked(false)
    /// Take uploads (recorded in `uploads`) and never answer them (a store stuck in fsync).
    let hangUploads = Locked(false)
    /// While set, uploads are stored at once but answered only by `releaseUploads()` (a replica
    /// write still on its way while something else happens).
    let holdUploads = Locked(false)
    private let heldUploads = Locked<[@Sendable () -> Void]>([])
    /// Answer every read 200 with the whole needle, `Range` or not (Go bfs stores do).
    let ignoreRange = Locked(false)

    /// Uploads answered so far while `holdUploads` was set, not yet released.
    var heldUploadCount: Int { heldUploads.get.count }

    /// Stops holding and sends the held upload answers.
    func releaseUploads() {
        holdUploads.with { $0 = false }
        for send in heldUploads.with({ held -> [@Sendable () -> Void] in defer { held = [] }; return held }) { send() }
    }

    init(group: EventLoopGroup) throws {
        let needles = self.needles, reads = self.reads, uploads = self.uploads, deletes = self.deletes
        let failUploads = self.failUploads, cutReads = self.cutReads, hangReads = self.hangReads
        let ignoreRange = self.ignoreRange, hangUploads = self.hangUploads
        let holdUploads = self.holdUploads, heldUploads = self.heldUploads
        var router = HTTPRouter()
        router.add(.post, "/upload") { ex in
            let contentType = ex.head.headers["Content-Type"] ?? ""
            ex.collectBody { result in
                guard case .success(let body) = result else { return }
                var file: [UInt8] = []
                var form = MultipartFormCollector { event in
                    if case .data(let bytes) = event { file.append(contentsOf: bytes) }
                }
                do {
                    var parser = try MultipartParser(contentType: contentType)
                    try body.withUnsafeBytes { try parser.feed($0, to: &form) }
                    try parser.finish()
                } catch {
                    return ex.respond(status: .badRequest, body: .bytes(Array("{\"ret\":65534}".utf8)))
                }
                guard let key = form.fields.first("key").flatMap({ Int64($0) }) else {
                    return ex.respond(status: .badRequest, body: .bytes(Array("{\"ret\":65534}".utf8)))
                }
                uploads.with { $0.append(key) }
                if hangUploads.get { return }
                if failUploads.get { return ex.respond(body: .bytes(Array("{\"ret\":65535}".utf8))) }
                needles.with { $0[key] = file }
                if holdUploads.get { return heldUploads.with { $0.append { ex.respond(body: .bytes(Array("{\"ret\":1}".utf8))) } } }
                ex.respond(body: .bytes(Array("{\"ret\":1}".utf8)))
            }
        }
        router.add(.get, "/get") { ex in
            reads.with { $0 += 1 }
            if hangReads.get { return }
            let query = (try? QueryString.parse(ex.head.query)) ?? FormFields()
            guard let key = query.first("key").flatMap({ Int64($0) }), let data = needles.get[key] else {
                return ex.respond(status: .notFound, body: .bytes(Array("{\"ret\":5001}".utf8)))
            }
            var status = HTTPStatus.ok
            var headers: HTTPHeaders = ["Content-Type": "application/octet-stream"]
            var body = data
            if !ignoreRange.get, let range = ex.head.headers["Range"], let (first, last) = Self.singleRange(range, length: data.count) {
                status = .partialContent
                headers.add(name: "Content-Range", value: "bytes \(first)-\(last)/\(data.count)")
                body = Array(data[first...last])
            }
            let cut = cutReads.get
            guard cut != .none, ex.head.method == .get, body.count > 1 else {
                return ex.respond(status: status, headers: headers, body: .bytes(body))
            }
            guard let stream = ex.respondStreaming(status: status, headers: headers, length: body.count) else { return }
            if cut == .half { stream.write(Array(body[..<(body.count / 2)])) }
            stream.abort()
        }
        router.add(.post, "/del") { ex in
            ex.collectBody { result in
                guard case .success(let body) = result,
                      let fields = body.withUnsafeBytes({ try? QueryString.parse(bytes: $0) }),
                      let key = fields.first("key").flatMap({ Int64($0) }) else { return }
                deletes.with { $0.append(key) }
                needles.with { $0[key] = nil }
                ex.respond(body: .bytes(Array("{\"ret\":1}".utf8)))
            }
        }
        server = HTTPServer(router: router)
        port = try server.start(on: group)
    }

    /// The api address directories publish.
    var address: String { "127.0.0.1:\(port)" }

    /// `bytes=a-b` or `bytes=a-`, clamped; nil for anything else.
    static func singleRange(_ header: String, length: Int) -> (Int, Int)? {
        guard header.hasPrefix("bytes="), !header.contains(",") else { return nil }
        let parts = header.dropFirst(6).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let first = Int(parts[0]), first < length else { return nil }
        let last = parts[1].isEmpty ? length - 1 : min(Int(parts[1]) ?? -1, length - 1)
        return last >= first ? (first, last) : nil
    }

    func stop() { server.stop(timeoutMilliseconds: 200) }
}
