import BFSHTTP
import BFSLoop
import BFSMetadata
import BFSProxy
import BFSTestSupport
import Foundation
import Glibc

/// A stand-in for `bfs proxy`'s public API, for testing `bfs put|get|head|rm|ls` without a
/// cluster: the same paths, statuses and headers, files kept in a temp directory.
///
/// Every token a request carries is verified with the proxy's own `BucketToken` (through
/// `BucketAuthorization`), whether or not the bucket needed one, and counted; a bad one is a
/// 401. Tests can make it answer every file request with a fixed status (401, 404, 413...), or
/// close downloads halfway through their body.
final class FakeProxy: @unchecked Sendable {
    struct Stored: Sendable {
        var path: String
        var size: Int
        var sha1: String
        var mime: String
        var mtime: Int64
    }

    struct Behaviour: Sendable {
        /// Files per bucket name; only these buckets exist.
        var buckets: [String: [String: Stored]]
        /// Answer every file request (not listings) with this status and reason, when set.
        var forcedStatus: (code: Int, reason: String)? = nil
        /// Send only the first half of each GET body, then close the connection.
        var truncateDownloads = false
        /// Send GET bodies with their first byte changed (same length, wrong SHA-1).
        var corruptDownloads = false
        /// Store PUT bodies with their first byte changed, as if damaged on the way.
        var corruptUploads = false
        /// Tokens verified and accepted.
        var verifiedTokens = 0
        /// Requests seen: method and target.
        var requests: [String] = []
        /// Listing requests seen.
        var listings = 0
        var nextFileNumber = 0
    }

    let key = BucketKey(keyId: "b1f5c0ffee000001", secret: "fake-proxy-secret-0123456789")
    let behaviour: Locked<Behaviour>
    private let directory: String
    private let flags: BucketFlags
    private let maxFileSize: Int
    private let group: EventLoopGroup
    private var server: HTTPServer!
    private(set) var port = 0

    /// A proxy over `directory` serving bucket `default` (public read unless `flags` say
    /// otherwise) with the proxy's default upload limit.
    init(directory: String, flags: BucketFlags = .publicRead, maxFileSize: Int = 20 << 20) throws {
        self.directory = directory
        self.flags = flags
        self.maxFileSize = maxFileSize
        behaviour = Locked(Behaviour(buckets: ["default": [:]]))
        group = try EventLoopGroup(loopCount: 1, name: "fake-proxy")
        var router = HTTPRouter()
        for method in [HTTPMethod.get, .head, .put, .delete] {
            router.addPrefix(method, "/bfs/") { [unowned self] ex in handle(ex) }
        }
        server = HTTPServer(router: router)
        port = try server.start(on: group)
    }

    deinit {
        server.stop()
        group.shutdown()
    }

    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// The environment a `bfs` client command needs to reach this proxy with its key.
    var clientEnvironment: [String: String] {
        ["BFS_ENDPOINT": endpoint, "BFS_KEY_ID": key.keyId, "BFS_SECRET": key.secret]
    }

    // MARK: requests

    private func handle(_ ex: HTTPServerExchange) {
        behaviour.with { $0.requests.append("\(ex.head.method) \(ex.head.uri)") }
        let rest = ex.head.path.dropFirst("/bfs/".count)
        let parts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let bucket = Self.percentDecoded(parts[0]), !bucket.isEmpty,
              let name = parts.count > 1 ? Self.percentDecoded(parts[1]) : ""
        else { return answer(ex, 400, "bad path") }
        guard behaviour.with({ $0.buckets[bucket] != nil }) else { return answer(ex, 404, "no such bucket") }
        let query = (try? QueryString.parse(ex.head.query)) ?? FormFields()
        if ex.head.method == .get && name.isEmpty && query.pairs.contains(where: { $0.name == "list" }) {
            guard authorize(ex, bucket: bucket, filename: "", flags: []) else { return }
            return list(ex, bucket: bucket, query: query)
        }
        if let forced = behaviour.with({ $0.forcedStatus }) { return answer(ex, forced.code, forced.reason) }
        guard authorize(ex, bucket: bucket, filename: name, flags: flags) else { return }
        switch ex.head.method {
        case .put: put(ex, bucket: bucket, name: name)
        case .delete: delete(ex, bucket: bucket, name: name)
        default: get(ex, bucket: bucket, name: name)
        }
    }

    /// Verifies a token when one is sent (always), and requires one when `flags` do; answers
    /// 401 and returns false on failure.
    private func authorize(_ ex: HTTPServerExchange, bucket: String, filename: String, flags: BucketFlags) -> Bool {
        let header = ex.head.headers["Authorization"]
        let rules = BucketAuthorization(flags: header == nil ? flags : [], key: key)
        do {
            try rules.check(method: ex.head.method, bucket: bucket, filename: filename, queryToken: nil,
                            authorization: header, now: Int64(time(nil)))
        } catch {
            answer(ex, 401, "\(error)")
            return false
        }
        if header != nil { behaviour.with { $0.verifiedTokens += 1 } }
        return true
    }

    private func put(_ ex: HTTPServerExchange, bucket: String, name: String) {
        guard let mime = ex.head.headers["Content-Type"] else { return answer(ex, 400, "Content-Type required") }
        if let length = ex.head.contentLength, length > maxFileSize {
            return answer(ex, 413, "\(length) bytes over max_file_size \(maxFileSize)")
        }
        ex.collectBody(limit: maxFileSize) { [self] result in
            guard case .success(var body) = result, !body.isEmpty else { return answer(ex, 400, "empty or broken body") }
            if behaviour.with({ $0.corruptUploads }) { body[0] ^= 0xFF }
            let sha1 = ContentName.sha1Hex(body)
            guard let final = try? ContentName.resolve(name, sha1: sha1, contentType: mime) else {
                return answer(ex, 413, "filename too long")
            }
            let number = behaviour.with { b -> Int in
                b.nextFileNumber += 1
                return b.nextFileNumber
            }
            let path = "\(directory)/file-\(number)"
            FileManager.default.createFile(atPath: path, contents: Data(body))
            FileManager.default.createFile(atPath: path + ".half", contents: Data(body.prefix(body.count / 2)))
            FileManager.default.createFile(atPath: path + ".bad", contents: Data([body[0] ^ 0xFF] + body.dropFirst()))
            let stored = Stored(path: path, size: body.count, sha1: sha1, mime: mime,
                                mtime: Int64(time(nil)) * 1_000_000_000)
            let replaced = behaviour.with { b -> Bool in
                let old = b.buckets[bucket]![final]
                b.buckets[bucket]![final] = stored
                return old != nil
            }
            let status: HTTPStatus = replaced ? .ok : .created
            let location = WriteResponseHeaders.location(domain: endpoint, prefix: "/bfs/", bucket: bucket, filename: final)
            ex.respond(status: status, headers: WriteResponseHeaders.stored(status: status, sha1: sha1, location: location))
        }
    }

    private func delete(_ ex: HTTPServerExchange, bucket: String, name: String) {
        let removed = behaviour.with { $0.buckets[bucket]!.removeValue(forKey: name) }
        guard removed != nil else { return answer(ex, 404, "no such file") }
        ex.respond(status: .noContent, headers: WriteResponseHeaders.outcome(status: .noContent))
    }

    private func get(_ ex: HTTPServerExchange, bucket: String, name: String) {
        guard let stored = behaviour.with({ $0.buckets[bucket]![name] }) else { return answer(ex, 404, "no such file") }
        var headers = HTTPHeaders([("Content-Type", stored.mime), ("ETag", "\"\(stored.sha1)\""),
                                   ("Last-Modified", HTTPDate.format(stored.mtime / 1_000_000_000)),
                                   ("Accept-Ranges", "bytes")])
        var status = HTTPStatus.ok
        var offset = 0
        var length = stored.size
        if case .satisfiable(let ranges) = ByteRangeRequest.parse(ex.head.headers.values(for: "Range"),
                                                                  length: Int64(stored.size)), ranges.count == 1
        {
            status = .partialContent
            offset = Int(ranges[0].lowerBound)
            length = Int(ranges[0].upperBound - ranges[0].lowerBound + 1)
            headers.add(name: "Content-Range", value: "bytes \(ranges[0].lowerBound)-\(ranges[0].upperBound)/\(stored.size)")
        }
        let (truncate, corrupt) = behaviour.with { ($0.truncateDownloads, $0.corruptDownloads) }
        // A file shorter than the announced length makes the server hang up mid-body.
        let variant = ex.head.method != .get ? "" : truncate ? ".half" : corrupt ? ".bad" : ""
        let fd = open(stored.path + variant, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return answer(ex, 500, "cannot open the stored file") }
        ex.respond(status: status, headers: headers, body: .file(fd: fd, offset: Int64(offset), length: length)) { _ in
            close(fd)
        }
    }

    /// `GET /bfs/<bucket>/?list&prefix=&after=&limit=`: names in order, `next` when more follow.
    private func list(_ ex: HTTPServerExchange, bucket: String, query: FormFields) {
        let prefix = query.first("prefix") ?? ""
        let after = query.first("after")
        let limit = min(1000, max(1, Int(query.first("limit") ?? "") ?? 1000))
        let files = behaviour.with { b -> [(String, Stored)] in
            b.listings += 1
            return b.buckets[bucket]!.sorted { $0.key < $1.key }
        }
        let matching = files.filter { entry in entry.0.hasPrefix(prefix) && (after.map { entry.0 > $0 } ?? true) }
        let page = matching.prefix(limit)
        let entries = page.map { name, stored in
            #"{"name":\#(Self.jsonString(name)),"size":\#(stored.size),"sha1":"\#(stored.sha1)","mime":\#(Self.jsonString(stored.mime)),"mtime":\#(stored.mtime)}"#
        }
        let next = matching.count > limit ? Self.jsonString(page.last!.0) : "null"
        let json = #"{"files":[\#(entries.joined(separator: ","))],"next":\#(next)}"#
        ex.respond(status: .ok, headers: ["Content-Type": "application/json"], body: .bytes(Array(json.utf8)))
    }

    private func answer(_ ex: HTTPServerExchange, _ code: Int, _ reason: String) {
        ex.respond(status: HTTPStatus(code), headers: ["Content-Type": "text/plain; charset=utf-8"],
                   body: .bytes(Array((reason + "\n").utf8)))
    }

    static func jsonString(_ text: String) -> String {
        String(decoding: try! JSONEncoder().encode(text), as: UTF8.self)
    }

    /// Decodes `%XX` escapes (nil for a malformed one or bytes that are not UTF-8).
    static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next(), let low = iterator.next(),
                  let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            else { return nil }
            bytes.append(value)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
