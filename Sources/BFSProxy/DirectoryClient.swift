import BFSCore
import BFSHTTP
import BFSMetadata
import Foundation

/// A file as the directory's `/get` describes it (reference §2.1, plus our `size`).
public struct FileRecord: Sendable, Equatable {
    /// Needle key.
    public var key: Int64
    /// Needle cookie.
    public var cookie: Int32
    /// Volume id.
    public var vid: Int32
    /// Api addresses of the readable stores holding the volume.
    public var stores: [String]
    /// Hex SHA-1 of the content.
    public var sha1: String
    /// MIME type ("" when unknown).
    public var mime: String
    /// Modification time, Unix nanoseconds.
    public var mtime: Int64
    /// Content bytes; 0 for rows written by bfs's plain `/upload` (size unknown).
    public var size: Int64
}

/// A reserved needle: where to write it.
struct AllocationRecord: Sendable {
    var key: Int64
    var cookie: Int32
    var vid: Int32
    var stores: [String]
}

/// One page of a bucket listing.
struct ListPage: Sendable {
    struct File: Sendable {
        var name: String, size: Int64, sha1: String, mime: String, mtime: Int64
    }
    var files: [File]
    var next: String?
}

/// The proxy's calls to the directory (DirectoryRouter's table), on one loop's HTTP client,
/// each carrying the cluster token. Completions run on that loop.
struct DirectoryClient {
    let client: HTTPClient
    let address: HostPort
    /// `authorization(token:)` of the cluster token, made once per process.
    let authorization: [FormFields.Pair]
    let metrics: ProxyMetrics

    /// `GET /bucket?name=`: the bucket, or nil when there is none.
    func bucket(named name: String, _ done: @escaping (Result<Bucket?, ProxyFailure>) -> Void) {
        call("GET", "/bucket", ["name": name], doing: "bucket lookup") { result in
            done(result.flatMap { json in
                let ret = Self.int(json["ret"]) ?? 0
                if ret == Ret.bucketNotExist.rawValue { return .success(nil) }
                guard ret == 1, let b = json["bucket"] as? [String: Any], let bucketName = b["name"] as? String,
                      let flags = Self.int(b["flags"]), let keyID = b["key_id"] as? String, let secret = b["secret"] as? String
                else { return .failure(Self.badAnswer(json, doing: "bucket lookup")) }
                return .success(Bucket(name: bucketName, flags: BucketFlags(rawValue: Int64(flags)), keyID: keyID, secret: secret,
                                       domain: b["domain"] as? String ?? "", cachePolicy: b["cache_policy"] as? String ?? ""))
            })
        }
    }

    /// `GET /get?bucket=&filename=`: the file, or nil when there is none.
    func lookup(bucket: String, filename: String, _ done: @escaping (Result<FileRecord?, ProxyFailure>) -> Void) {
        call("GET", "/get", ["bucket": bucket, "filename": filename], doing: "file lookup") { result in
            done(result.flatMap { json in
                let ret = Self.int(json["ret"]) ?? 0
                if ret == Ret.needleNotExist.rawValue || ret == Ret.bucketNotExist.rawValue { return .success(nil) }
                guard ret == 1 else { return .failure(.directoryRet(ret, doing: "file lookup")) }
                guard let key = Self.int64(json["key"]), let cookie = Self.int(json["cookie"]), let vid = Self.int(json["vid"]),
                      let stores = json["stores"] as? [String], !stores.isEmpty
                else { return .failure(Self.badAnswer(json, doing: "file lookup")) }
                return .success(FileRecord(key: key, cookie: Int32(truncatingIfNeeded: cookie), vid: Int32(truncatingIfNeeded: vid),
                                           stores: stores, sha1: json["sha1"] as? String ?? "", mime: json["mine"] as? String ?? "",
                                           mtime: Self.int64(json["update_time"]) ?? 0, size: Self.int64(json["size"]) ?? 0))
            })
        }
    }

    /// `POST /allocate`: a pending needle outside the groups of `excludedVolumes`.
    func allocate(bucket: String, filename: String, mime: String, excludedVolumes: [Int32],
                  _ done: @escaping (Result<AllocationRecord, ProxyFailure>) -> Void) {
        var fields: FormFields = ["bucket": bucket, "filename": filename, "mime": mime]
        for vid in excludedVolumes { fields.append(name: "exclude_vid", value: String(vid)) }
        postForAnswer("/allocate", fields, doing: "allocation") { result in
            done(result.flatMap { answer in
                let ret = answer.ret ?? 0
                guard ret == 1 else { return .failure(.directoryRet(ret, doing: "allocation")) }
                guard let key = answer.key, let cookie = answer.cookie, let vid = answer.vid,
                      let stores = answer.stores, !stores.isEmpty
                else { return .failure(ProxyFailure(.badGateway, "directory allocation: unexpected answer")) }
                return .success(AllocationRecord(key: key, cookie: Int32(truncatingIfNeeded: cookie),
                                                 vid: Int32(truncatingIfNeeded: vid), stores: stores))
            })
        }
    }

    /// `POST /commit`: true when the filename was new, false when it replaced a file. With
    /// `expecting`, an unmet expectation fails 412 and commits nothing.
    func commit(key: Int64, sha1: String, size: Int64, mtime: Int64, mime: String, expecting: FileExpectation? = nil,
                _ done: @escaping (Result<Bool, ProxyFailure>) -> Void) {
        var fields: FormFields = ["key": String(key), "sha1": sha1, "size": String(size), "mtime": String(mtime), "mime": mime]
        if let expecting { Self.add(expecting, to: &fields) }
        postForAnswer("/commit", fields, doing: "commit") { result in
            done(result.flatMap { answer in
                let ret = answer.ret ?? 0
                guard ret == 1 else { return .failure(.directoryRet(ret, doing: "commit")) }
                return .success(answer.outcome != "replaced")
            })
        }
    }

    /// `POST /abort` (best effort: the reaper aborts it anyway after the allocation timeout).
    func abort(key: Int64) {
        post("/abort", ["key": String(key)], doing: "abort") { _ in }
    }

    /// `POST /del`: the deleted file's needle and stores, or nil when there was no such file.
    /// With `expecting`, an unmet expectation fails 412 and deletes nothing.
    func delete(bucket: String, filename: String, expecting: FileExpectation? = nil,
                _ done: @escaping (Result<AllocationRecord?, ProxyFailure>) -> Void) {
        var fields: FormFields = ["bucket": bucket, "filename": filename]
        if let expecting { Self.add(expecting, to: &fields) }
        post("/del", fields, doing: "delete") { result in
            done(result.flatMap { json in
                let ret = Self.int(json["ret"]) ?? 0
                if ret == Ret.needleNotExist.rawValue { return .success(nil) }
                guard ret == 1 else { return .failure(.directoryRet(ret, doing: "delete")) }
                return .success(AllocationRecord(key: Self.int64(json["key"]) ?? 0, cookie: Int32(truncatingIfNeeded: Self.int(json["cookie"]) ?? 0),
                                                 vid: Int32(truncatingIfNeeded: Self.int(json["vid"]) ?? 0),
                                                 stores: json["stores"] as? [String] ?? []))
            })
        }
    }

    /// `GET /list`: one page of files.
    func list(bucket: String, prefix: String, after: String?, limit: Int, _ done: @escaping (Result<ListPage, ProxyFailure>) -> Void) {
        var query: [String: String] = ["bucket": bucket, "prefix": prefix, "limit": String(limit)]
        if let after { query["after"] = after }
        call("GET", "/list", query, doing: "listing") { result in
            done(result.flatMap { json in
                let ret = Self.int(json["ret"]) ?? 0
                guard ret == 1 else { return .failure(.directoryRet(ret, doing: "listing")) }
                guard let files = json["files"] as? [[String: Any]] else { return .failure(Self.badAnswer(json, doing: "listing")) }
                let parsed = files.map { f in
                    ListPage.File(name: f["filename"] as? String ?? "", size: Self.int64(f["size"]) ?? 0, sha1: f["sha1"] as? String ?? "",
                                  mime: f["mime"] as? String ?? "", mtime: Self.int64(f["mtime"]) ?? 0)
                }
                return .success(ListPage(files: parsed, next: json["next"] as? String))
            })
        }
    }

    /// The directory's `expect_key` / `expect_absent` fields (`ExpectationFields` there).
    private static func add(_ expecting: FileExpectation, to fields: inout FormFields) {
        switch expecting {
        case .absent: fields.append(name: "expect_absent", value: "1")
        case .key(let key): fields.append(name: "expect_key", value: String(key))
        }
    }

    // MARK: transport

    /// The header carrying the cluster token (none without a token).
    static func authorization(token: String) -> [FormFields.Pair] {
        token.isEmpty ? [] : [FormFields.Pair(name: "Authorization", value: "Bearer \(token)")]
    }

    private func call(_ method: String, _ path: String, _ query: [String: String], doing what: String,
                      _ done: @escaping (Result<[String: Any], ProxyFailure>) -> Void) {
        let fields = FormFields(query.sorted { $0.key < $1.key }.map { FormFields.Pair(name: $0.key, value: $0.value) })
        let request = HTTPClientRequest(method: method, host: address.host, port: address.port,
                                        target: path + "?" + QueryString.encode(fields), headers: authorization)
        send(request, doing: what, done)
    }

    private func post(_ path: String, _ fields: FormFields, doing what: String,
                      _ done: @escaping (Result<[String: Any], ProxyFailure>) -> Void) {
        let request = HTTPClientRequest(host: address.host, port: address.port, target: path, form: fields, headers: authorization)
        send(request, doing: what, done)
    }

    private func send(_ request: HTTPClientRequest, doing what: String, _ done: @escaping (Result<[String: Any], ProxyFailure>) -> Void) {
        exchange(request, doing: what, read: { (try? JSONSerialization.jsonObject(with: Data($0))) as? [String: Any] }, done)
    }

    /// A POST whose answer the upload path reads (`DirectoryAnswer`, no Foundation JSON for the
    /// directory's own answers).
    private func postForAnswer(_ path: String, _ fields: FormFields, doing what: String,
                               _ done: @escaping (Result<DirectoryAnswer, ProxyFailure>) -> Void) {
        let request = HTTPClientRequest(host: address.host, port: address.port, target: path, form: fields, headers: authorization)
        exchange(request, doing: what, read: DirectoryAnswer.parse, done)
    }

    /// Sends `request`; a 200 whose body `read` makes sense of succeeds, anything else fails 502.
    private func exchange<Answer>(_ request: HTTPClientRequest, doing what: String, read: @escaping ([UInt8]) -> Answer?,
                                  _ done: @escaping (Result<Answer, ProxyFailure>) -> Void) {
        let metrics = self.metrics
        client.execute(request, maxBodySize: 16 << 20) { result in
            switch result {
            case .failure(let error):
                metrics.directoryErrors.increment()
                done(.failure(.backend("directory \(what)", error)))
            case .success(let response):
                guard response.status == .ok, let answer = read(response.body) else {
                    metrics.directoryErrors.increment()
                    let why = response.status == .unauthorized ? "directory refused the cluster token"
                        : "directory \(what) answered HTTP \(response.status.code)"
                    return done(.failure(ProxyFailure(.badGateway, why)))
                }
                done(.success(answer))
            }
        }
    }

    private static func badAnswer(_ json: [String: Any], doing what: String) -> ProxyFailure {
        ProxyFailure(.badGateway, "directory \(what): unexpected answer")
    }

    static func int(_ value: Any?) -> Int? { (value as? NSNumber)?.intValue }
    static func int64(_ value: Any?) -> Int64? { (value as? NSNumber)?.int64Value }
}
