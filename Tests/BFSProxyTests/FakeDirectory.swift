import BFSCore
import BFSHTTP
import BFSLoop
import BFSMetadata
import BFSTestSupport
import Foundation

/// A stand-in for the directory (DirectoryRouter's contract) with in-memory state, recording
/// every call: `/bucket`, `/get` (with `size`), `/allocate` (honouring `exclude_vid`), `/commit`
/// and `/del` (honouring `expect_key` / `expect_absent`), `/abort`, `/list`. Every call needs
/// the cluster token.
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
    /// While set, `/get` answers are computed at once but sent only by `releaseLookups()` (a
    /// lookup the database answered before a concurrent commit, delivered after it).
    let holdLookups = Locked(false)
    private let heldLookups = Locked<[@Sendable () -> Void]>([])

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

    /// Sends the held `/get` answers.
    func releaseLookups() {
        for send in heldLookups.with({ held -> [@Sendable () -> Void] in defer { held = [] }; return held }) { send() }
    }

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
            let send: @Sendable () -> Void = {
                ex.respond(headers: ["Content-Type": "application/json;charset=utf-8"], body: .bytes(Array(json.utf8)))
            }
            if ex.head.path == "/get" && holdLookups.get { return heldLookups.with { $0.append(send) } }
            send()
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
                + "\"update_time\":\(file.mtime),\"sha1\":\"\(file.sha1)\",\"mine\":\(JSONText.quoted(file.mime)),\"size\":\(file.size)}"
        case "/allocate":
            let excluded = Set(f.all("exclude_vid").compactMap { Int32($0) })
            guard let vid = volumes.get.keys.sorted().first(where: { !excluded.contains($0) }),
                  let stores = volumes.get[vid] else { return "{\"ret\":30300}" }
            let key = nextKey.with { k -> Int64 in k += 1; return k }
            pending.with { $0[key] = Pending(bucket: f.first("bucket")!, filename: f.first("filename")!, vid: vid, mime: f.first("mime") ?? "") }
            return "{\"ret\":1,\"key\":\(key),\"cookie\":7,\"vid\":\(vid),\"stores\":\(Self.list(stores))}"
        case "/commit":
            guard let key = f.first("key").flatMap({ Int64($0) }), let p = pending.get[key] else { return "{\"ret\":5001}" }
            let file = File(key: key, cookie: 7, vid: p.vid, sha1: f.first("sha1") ?? "", mime: f.first("mime") ?? p.mime,
                            size: Int64(f.first("size") ?? "") ?? 0, mtime: Int64(f.first("mtime") ?? "") ?? 0)
            let expected = Self.expectation(f)
            // The expectation is checked and the row written under one lock, as the database does.
            let outcome = files.with { t -> String? in
                let previous = t["\(p.bucket)/\(p.filename)"]
                if let expected, expected != previous?.key { return nil }
                t["\(p.bucket)/\(p.filename)"] = file
                return previous == nil ? "created" : "replaced"
            }
            guard let outcome else { return "{\"ret\":412}" }
            pending.with { _ = $0.removeValue(forKey: key) }
            return "{\"ret\":1,\"outcome\":\"\(outcome)\",\"key\":\(key),\"vid\":\(p.vid),\"cookie\":7}"
        case "/abort":
            guard let key = f.first("key").flatMap({ Int64($0) }) else { return "{\"ret\":65534}" }
            aborted.with { $0.append(key) }
            return pending.with({ $0.removeValue(forKey: key) }) == nil ? "{\"ret\":5001}" : "{\"ret\":1}"
        case "/del":
            let expected = Self.expectation(f)
            let (removed, ret) = files.with { t -> (File?, Int) in
                let current = t[name]
                if let expected, expected != current?.key { return (nil, 412) }
                return (t.removeValue(forKey: name), current == nil ? 5001 : 1)
            }
            guard let file = removed else { return "{\"ret\":\(ret)}" }
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

    /// The `expect_key` / `expect_absent` of a `/commit` or `/del`: nil for none, `.some(nil)`
    /// for "no file", else the key the file must point at.
    private static func expectation(_ f: FormFields) -> Int64?? {
        if let key = f.first("expect_key") { return .some(Int64(key)) }
        return f.first("expect_absent") == "1" ? .some(nil) : nil
    }

    private static func list(_ stores: [String]) -> String { "[" + stores.map { "\"\($0)\"" }.joined(separator: ",") + "]" }
}
