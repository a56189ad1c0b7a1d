import BFSCore
import BFSHTTP
import BFSMetadata

/// `GET /list` (an extension, for the proxy's bucket listing and `bfs ls`): one page of a
/// bucket's files in filename byte order.
///
/// | Field | Type | Meaning |
/// |---|---|---|
/// | `ret` | int | 1, or the bfs ret of a metadata failure (an unknown bucket lists as empty) |
/// | `files` | array | `{"filename","size","sha1","mime","mtime"}` per file, `mtime` in Unix ns |
/// | `next` | string or null | pass as `after` for the next page; null after the last |
struct ListingHandler: Sendable {
    let context: DirectoryContext

    /// The most files one page carries (and the default).
    static let maxLimit = 1000

    /// `GET /list?bucket=&prefix=&after=&limit=`.
    func list(_ ex: HTTPServerExchange) {
        let start = monotonicNanos()
        RequestFields.read(ex) { fields in
            guard let bucket = fields.first("bucket"), !bucket.isEmpty else { return DirectoryReplies.badRequest(ex) }
            var limit = Self.maxLimit
            if let text = fields.first("limit") {
                guard let value = Int(text), (1...Self.maxLimit).contains(value) else { return DirectoryReplies.badRequest(ex) }
                limit = value
            }
            let after = fields.first("after").flatMap { $0.isEmpty ? nil : $0 }
            context.metadata.listFiles(bucket: bucket, prefix: fields.first("prefix") ?? "", after: after, limit: limit) { result in
                switch result {
                case .success(let page):
                    context.answer(ex, .list, Self.json(page), ok: true, since: start)
                case .failure(let error):
                    context.answer(ex, .list, DirectoryReplies.ret(DirectoryReplies.ret(of: error)), ok: false, since: start)
                }
            }
        }
    }

    /// The page as the table above lays it out.
    static func json(_ page: FilePage) -> String {
        let files = page.entries.map { e in
            "{\"filename\":\(JSONText.quoted(e.filename)),\"size\":\(e.size),\"sha1\":\(JSONText.quoted(e.sha1)),"
                + "\"mime\":\(JSONText.quoted(e.mime)),\"mtime\":\(e.mtime)}"
        }.joined(separator: ",")
        let next = page.nextMarker.map(JSONText.quoted) ?? "null"
        return DirectoryReplies.ret(.ok, extra: ",\"files\":[\(files)],\"next\":\(next)")
    }
}
