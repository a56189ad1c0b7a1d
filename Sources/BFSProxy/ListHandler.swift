import BFSHTTP

/// `GET /<prefix>/<bucket>/?list&prefix=&after=&limit=` (an extension for `bfs ls`): one page of
/// the bucket's files in filename byte order, from the directory's `/list`.
///
/// Always needs a token, signed like a GET of the empty filename, whatever the bucket's flags:
/// a public-read bucket serves files to whoever knows their names, not the list of names.
///
/// | Answer field | Type | Meaning |
/// |---|---|---|
/// | `files` | array | `{"name","size","sha1","mime","mtime"}` per file; `mtime` in Unix ns |
/// | `next` | string or null | pass as `after` for the next page; null after the last |
///
/// `limit` defaults to 1000 and is capped there; a `limit` that is not a positive number is 400.
struct ListHandler {
    let context: ProxyContext

    /// The most names one page carries.
    static let maxLimit = 1000

    func handle(_ ex: ProxyExchange, path: ProxyPath, query: FormFields) {
        var limit = Self.maxLimit
        if let text = query.first("limit"), !text.isEmpty {
            guard let value = Int(text), value > 0 else { return ex.fail(ProxyFailure(.badRequest, "limit must be a positive number")) }
            limit = min(value, Self.maxLimit)
        }
        let after = query.first("after").flatMap { $0.isEmpty ? nil : $0 }
        RequestGate(context: context).admit(ex, path: path, signedMethod: .get, signedFilename: "", query: query,
                                            alwaysToken: true) { _ in
            context.directory(on: ex.loop).list(bucket: path.bucket, prefix: query.first("prefix") ?? "", after: after,
                                                limit: limit) { result in
                switch result {
                case .failure(let failure):
                    ex.fail(failure)
                case .success(let page):
                    ex.respond(status: .ok, headers: ["Content-Type": "application/json"], body: .bytes(Array(Self.json(page).utf8)))
                }
            }
        }
    }

    /// The answer's JSON text.
    static func json(_ page: ListPage) -> String {
        let files = page.files.map { f in
            "{\"name\":\(JSONText.quoted(f.name)),\"size\":\(f.size),\"sha1\":\(JSONText.quoted(f.sha1)),"
                + "\"mime\":\(JSONText.quoted(f.mime)),\"mtime\":\(f.mtime)}"
        }.joined(separator: ",")
        return "{\"files\":[\(files)],\"next\":\(page.next.map(JSONText.quoted) ?? "null")}"
    }
}
