import BFSCore
import BFSHTTP
import BFSLoop
import BFSMetadata
import BFSTestSupport
import Foundation

/// A stand-in for the directory (DirectoryRouter's contract) with in-memory state, recording
/// every call: `/bucket`, `/get` (with `size`), `/allocate` (honouring `exclude_vid`), `/commit`,
/// `/abort`, `/del`, `/list`. Every call needs the cluster token.
final class FakeDirectory: Sendable {
    struct File: Sendable {
        var key: Int64, cookie: Int32, vid: Int32, sha1: String, mime: String, size: Int64, mtime: Int64
    }
    struct Pending: Sendable {
        var bucket: String, filename: String, vid: Int32, mime: String
    }

    let server: HTTPServer
    let port: Int
    let token: String
    /// vid -> store api addresses, allocated from in ascending vid order.
    let volumes: Locked<[Int32: [String]]>
    let buckets = Locked<[String: Bucket]>([:])
    /// "bucket/filename" -> file.
    let files = Locked<[String: File]>([:])
    let pending = Locked<[Int64: Pending]>([:])
    /// Every call as `path?fields` (fields in the order sent).
    let calls = Locked<[String]>([])
    let aborted = Locked<[Int64]>([])
    let nextKey = Locked<Int64>(1000)

    init(group: EventLoopGroup, token: String, volumes: [Int32: [String]]) throws {
        self.token = token
        self.volumes = Locked(volumes)
        var router = HTTPRouter()
        let me = Unowned()
        for (method, path) in [(HTTPMethod.get, "/bucket"), (.get, "/get"), (.post, "/allocate"), (.post, "/commit"),
                               (.post, "/abort"), (.post, "/del"), (.get, "/list")] {
            router.add(method, path) { ex in me.value?.handle(ex) }
        }
        server = HTTPServer(router: router)
        port = try server.start(on: group)
        me.value = self
    }

    private final class Unowned: @unchecked Sendable { weak var value: FakeDirectory? }

    func stop() { server.stop() }

    /// Calls to `path` so far.
    func count(_ path: String) -> Int { calls.get.filter { $0.hasPrefix(path + "?") }.count }

    /// Adds a file as if committed.
    func put(_ bucket: String, _ filename: String, _ file: File) { files.with { $0["\(bucket)/\(filename)"] = file } }

    private func handle(_ ex: HTTPServerExchange) {
        guard ex.head.headers["Authorization"] == "Bearer \(token)" else {
            return ex.respond(status: .unauthorized, body: .bytes(Array("cluster token required\n".utf8)))
        }
        ex.collectBody { [self] result in
            guard case .success(let body) = result, let query = try? QueryString.parse(ex.head.query),
                  let form = body.withUnsafeBytes({ try? QueryString.parse(bytes: $0) }) else { return }
            let fields = form.merging(query)
            calls.with { $0.append(ex.head.path + "?" + QueryString.encode(fields)) }
            let json = answer(ex.head.path, fields)
            ex.respond(headers: ["Content-Type": "application/json;charset=utf-8"], body: .bytes(Array(json.utf8)))
        }
    }

    private func answer(_ path: String, _ f: FormFields) -> String {
        let name = "\(f.first("bucket") ?? "")/\(f.first("filename") ?? "")"
        switch path {
        case "/bucket":
            guard let b = buckets.get[f.first("name") ?? ""] else { return "{\"ret\":404}" }
            return "{\"ret\":1,\"bucket\":{\"name\":\(JSONText.quoted(b.name)),\"flags\":\(b.flags.rawValue),"
                + "\"key_id\":\(JSONText.quoted(b.keyID)),\"secret\":\(JSONText.quoted(b.secret)),"
                + "\"domain\":\(JSONText.quoted(b.domain)),\"cache_policy\":\(JSONText.quoted(b.cachePolicy))}}"
        case "/get":
            guard let file = files.get[name], let stores = volumes.get[file.vid] else { return "{\"ret\":5001}" }
            return "{\"ret\":1,\"key\":\(file.key),\"cookie\":\(file.cookie),\"vid\":\(file.vid),\"stores\":\(Self.list(stores)),"
                + "\"update_time\":\(file.mtime),\"sha1\":\"\(file.sha1)\",\"mine\":\"\(file.mime)\",\"size\":\(file.size)}"
        case "/allocate":
            let excluded = Set(f.all("exclude_vid").compactMap { Int32($0) })
            guard let vid = volumes.get.keys.sorted().first(where: { !excluded.contains($0) }),
                  let stores = volumes.get[vid] else { return "{\"ret\":30300}" }
            let key = nextKey.with { k -> Int64 in k += 1; return k }
            pending.with { $0[key] = Pending(bucket: f.first("bucket")!, filename: f.first("filename")!, vid: vid, mime: f.first("mime") ?? "") }
            return "{\"ret\":1,\"key\":\(key),\"cookie\":7,\"vid\":\(vid),\"stores\":\(Self.list(stores))}"
        case "/commit":
            guard let key = f.first("key").flatMap({ Int64($0) }), let p = pending.with({ $0.removeValue(forKey: key) }) else {
                return "{\"ret\":5001}"
            }
            let file = File(key: key, cookie: 7, vid: p.vid, sha1: f.first("sha1") ?? "", mime: f.first("mime") ?? p.mime,
                            size: Int64(f.first("size") ?? "") ?? 0, mtime: Int64(f.first("mtime") ?? "") ?? 0)
            let previous = files.with { t -> File? in defer { t["\(p.bucket)/\(p.filename)"] = file }; return t["\(p.bucket)/\(p.filename)"] }
            return "{\"ret\":1,\"outcome\":\"\(previous == nil ? "created" : "replaced")\",\"key\":\(key),\"vid\":\(p.vid),\"cookie\":7}"
        case "/abort":
            guard let key = f.first("key").flatMap({ Int64($0) }) else { return "{\"ret\":65534}" }
            aborted.with { $0.append(key) }
            return pending.with({ $0.removeValue(forKey: key) }) == nil ? "{\"ret\":5001}" : "{\"ret\":1}"
        case "/del":
            guard let file = files.with({ $0.removeValue(forKey: name) }) else { return "{\"ret\":5001}" }
            return "{\"ret\":1,\"key\":\(file.key),\"cookie\":\(file.cookie),\"vid\":\(file.vid),"
                + "\"stores\":\(Self.list(volumes.get[file.vid] ?? [])),\"update_time\":0,\"sha1\":\"\",\"mine\":\"\"}"
        case "/list":
            let bucket = f.first("bucket") ?? "", prefix = f.first("prefix") ?? "", after = f.first("after") ?? ""
            let limit = Int(f.first("limit") ?? "") ?? 1000
            let names = files.get.keys.filter { $0.hasPrefix("\(bucket)/\(prefix)") }.map { String($0.dropFirst(bucket.count + 1)) }
                .filter { $0 > after }.sorted()
            let page = Array(names.prefix(limit))
            let entries = page.map { n -> String in
                let file = files.get["\(bucket)/\(n)"]!
                return "{\"filename\":\(JSONText.quoted(n)),\"size\":\(file.size),\"sha1\":\"\(file.sha1)\",\"mime\":\"\(file.mime)\",\"mtime\":\(file.mtime)}"
            }
            let next = names.count > limit ? JSONText.quoted(page.last!) : "null"
            return "{\"ret\":1,\"files\":[\(entries.joined(separator: ","))],\"next\":\(next)}"
        default:
            return "{\"ret\":65534}"
        }
    }

    private static func list(_ stores: [String]) -> String { "[" + stores.map { "\"\($0)\"" }.joined(separator: ",") + "]" }
}
