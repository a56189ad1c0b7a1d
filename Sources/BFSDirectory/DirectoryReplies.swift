import BFSCore
import BFSHTTP
import BFSMetadata

// The bfs directory answer (reference/bfs-v1.md §2.1, `libs/meta/directory.go:Response`): every
// field is always present, zero values on error, in this order:
//
// | Field         | JSON type        | Meaning                                                  |
// |---------------|------------------|----------------------------------------------------------|
// | `ret`         | int              | bfs ret code (1 ok, 5000 exists, 5001 not found, 30xxx;   |
// |               |                  | 412 an unmet `expect_key`/`expect_absent`, our extension) |
// | `key`         | int64            | needle key                                               |
// | `cookie`      | int32            | needle cookie                                            |
// | `vid`         | int32            | volume id                                                |
// | `stores`      | [string] or null | store api addresses (`host:port`)                        |
// | `update_time` | int64            | mtime in ns                                              |
// | `sha1`        | string           | hex SHA-1                                                |
// | `mine`        | string           | MIME type (bfs's spelling)                               |
// | `size`        | int64            | content bytes; only in `/get` answers (an extension: the |
// |               |                  | proxy frames HEAD, 304, 416 and ranges without a store); |
// |               |                  | 0 for rows written by plain `/upload` (size unknown)     |

/// One bfs-format directory answer (layout in the table above).
struct BFSReply: Equatable {
    var ret: Ret
    var key: NeedleKey = 0
    var cookie: Cookie = 0
    var vid: VolumeID = 0
    var stores: [String]? = nil
    var updateTime: Int64 = 0
    var sha1 = ""
    var mime = ""
    /// Appended after bfs's fields when set (`/get` only).
    var size: Int64? = nil

    /// The answer for a file entry.
    init(ret: Ret, entry: FileEntry, stores: [String]?) {
        self.init(ret: ret, key: entry.needle.key, cookie: entry.needle.cookie, vid: entry.needle.vid,
                  stores: stores, updateTime: entry.mtime, sha1: entry.sha1, mime: entry.mime)
    }

    init(ret: Ret, key: NeedleKey = 0, cookie: Cookie = 0, vid: VolumeID = 0, stores: [String]? = nil,
         updateTime: Int64 = 0, sha1: String = "", mime: String = "") {
        (self.ret, self.key, self.cookie, self.vid, self.stores) = (ret, key, cookie, vid, stores)
        (self.updateTime, self.sha1, self.mime) = (updateTime, sha1, mime)
    }

    /// The JSON text, fields in bfs's order.
    var json: String { String(decoding: bytes, as: UTF8.self) }

    /// `json` as UTF-8, written into one buffer (the answer's body, no intermediate strings).
    var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(144 + sha1.utf8.count + mime.utf8.count + (stores?.reduce(0) { $0 + $1.utf8.count + 3 } ?? 0))
        out.append(contentsOf: "{\"ret\":".utf8)
        JSONText.appendInteger(Int64(ret.rawValue), to: &out)
        out.append(contentsOf: ",\"key\":".utf8)
        JSONText.appendInteger(key, to: &out)
        out.append(contentsOf: ",\"cookie\":".utf8)
        JSONText.appendInteger(Int64(cookie), to: &out)
        out.append(contentsOf: ",\"vid\":".utf8)
        JSONText.appendInteger(Int64(vid), to: &out)
        out.append(contentsOf: ",\"stores\":".utf8)
        if let stores {
            out.append(UInt8(ascii: "["))
            for (index, store) in stores.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONText.appendQuoted(store, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        } else {
            out.append(contentsOf: "null".utf8)
        }
        out.append(contentsOf: ",\"update_time\":".utf8)
        JSONText.appendInteger(updateTime, to: &out)
        out.append(contentsOf: ",\"sha1\":".utf8)
        JSONText.appendQuoted(sha1, to: &out)
        out.append(contentsOf: ",\"mine\":".utf8)
        JSONText.appendQuoted(mime, to: &out)
        if let size {
            out.append(contentsOf: ",\"size\":".utf8)
            JSONText.appendInteger(size, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}

/// Answers of the directory listener.
enum DirectoryReplies {
    static let jsonContentType = "application/json;charset=utf-8"

    /// Sends `json` with HTTP 200 (from any thread); bfs clients read `ret`, not the status.
    static func json(_ ex: HTTPServerExchange, _ json: String) {
        Self.json(ex, bytes: Array(json.utf8))
    }

    /// Sends JSON already in bytes with HTTP 200 (from any thread).
    static func json(_ ex: HTTPServerExchange, bytes: [UInt8]) {
        ex.respond(status: .ok, headers: jsonHeaders, body: .bytes(bytes))
    }

    private static let jsonHeaders: HTTPHeaders = ["Content-Type": jsonContentType]

    /// bfs's answer to a missing or malformed parameter: HTTP 400 `bad request`.
    static func badRequest(_ ex: HTTPServerExchange) {
        ex.respond(status: .badRequest, headers: ["Content-Type": "text/plain; charset=utf-8"],
                   body: .bytes(Array("bad request\n".utf8)))
    }

    /// The bfs ret for a metadata failure: not-found and exists keep their bfs codes, a missing
    /// bucket is 404 as the proxy's, an unmet expectation is 412 (ours), a full queue is "service unavailable", the rest is the
    /// storage-backend code bfs used for HBase (30100).
    static func ret(of error: MetadataError) -> Ret {
        switch error {
        case .notFound, .allocationNotPending, .tombstoneNotFound: .needleNotExist
        case .bucketExists, .keyIDExists, .keyExists: .needleExist
        case .bucketNotFound: .bucketNotExist
        case .expectationFailed: .preconditionFailed
        case .invalidArgument: .paramError
        case .overloaded: .serviceUnavailable
        case .conflict, .closed, .schemaTooNew, .backend: .hbase
        }
    }

    /// The `/commit` answer: `{"ret":1,"outcome":"created"|"replaced","key":K,"vid":V,"cookie":C}`.
    static func committed(_ outcome: CommitOutcome) -> [UInt8] {
        let needle = outcome.entry.needle
        var out: [UInt8] = []
        out.reserveCapacity(96)
        out.append(contentsOf: "{\"ret\":".utf8)
        JSONText.appendInteger(Int64(Ret.ok.rawValue), to: &out)
        if case .created = outcome {
            out.append(contentsOf: ",\"outcome\":\"created\",\"key\":".utf8)
        } else {
            out.append(contentsOf: ",\"outcome\":\"replaced\",\"key\":".utf8)
        }
        JSONText.appendInteger(needle.key, to: &out)
        out.append(contentsOf: ",\"vid\":".utf8)
        JSONText.appendInteger(Int64(needle.vid), to: &out)
        out.append(contentsOf: ",\"cookie\":".utf8)
        JSONText.appendInteger(Int64(needle.cookie), to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// `{"ret":N}` plus optional extra members (`extra` starts with a comma).
    static func ret(_ ret: Ret, extra: String = "") -> String { "{\"ret\":\(ret.rawValue)\(extra)}" }

    /// A bucket as JSON (the secret included: only token holders reach bucket endpoints).
    static func bucket(_ b: Bucket) -> String {
        "{\"name\":\(JSONText.quoted(b.name)),\"flags\":\(b.flags.rawValue),\"key_id\":\(JSONText.quoted(b.keyID)),"
            + "\"secret\":\(JSONText.quoted(b.secret)),\"domain\":\(JSONText.quoted(b.domain)),"
            + "\"cache_policy\":\(JSONText.quoted(b.cachePolicy))}"
    }
}
