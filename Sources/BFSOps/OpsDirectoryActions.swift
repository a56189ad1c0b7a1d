import BFSCluster
import BFSCore
import BFSHTTP
import Foundation

/// Buckets and file lookup, on the directory's endpoints (its `DirectoryRouter` documents them).
/// Secrets leave ops only in the answer of `create` and `rotate` (shown once); listings omit them.
extension OpsContext {
    /// `GET /api/buckets`: every bucket, secrets removed.
    func listBuckets() async throws(OpsRequestError) -> [String: Any] {
        var json = try await directory(get: "/buckets")
        let buckets = (json["buckets"] as? [[String: Any]] ?? []).map { bucket -> [String: Any] in
            var b = bucket
            b["secret"] = nil
            return b
        }
        json["buckets"] = buckets
        return json
    }

    /// `POST /api/buckets/<action>` (`create`, `update`, `rotate`) with the given fields.
    func bucket(_ action: String, _ body: [String: Any]) async throws(OpsRequestError) -> [String: Any] {
        guard ["create", "update", "rotate"].contains(action) else { throw .notFound("no bucket action \(action)") }
        guard let name = body["name"] as? String, !name.isEmpty else { throw .bad("name is required") }
        var fields: FormFields = ["name": name]
        if action != "rotate" {
            if let flags = body["flags"] {
                guard let n = flags as? Int, (0...3).contains(n) else { throw .bad("flags must be 0 ... 3") }
                fields.append(name: "flags", value: "\(n)")
            }
            for key in ["domain", "cache_policy"] {
                if let value = body[key] {
                    guard let text = value as? String else { throw .bad("\(key) must be a string") }
                    fields.append(name: key, value: text)
                }
            }
        }
        var json: [String: Any]
        switch await calls.postForm(settings.directory.description, "/buckets/\(action)", fields) {
        case .success(let j): json = j
        case .failure(let e): throw OpsRequestError(status: 502, description: "directory: \(e)")
        }
        guard (json["ret"] as? Int) == 1 else {
            throw OpsRequestError(status: 409, description: (json["error"] as? String) ?? "directory ret \(json["ret"] ?? "?")")
        }
        if action == "update", var bucket = json["bucket"] as? [String: Any] {
            bucket["secret"] = nil
            json["bucket"] = bucket
        }
        return json
    }

    /// `GET /api/lookup?bucket=&filename=`: where a file lives (the directory's `/get`), its
    /// `size`, `key_text` (the key as a string), and per replica its store, status, `size` or
    /// `error`, and a `url` to read it.
    func lookup(bucket: String, filename: String) async throws(OpsRequestError) -> [String: Any] {
        guard !bucket.isEmpty, !filename.isEmpty else { throw .bad("bucket and filename are required") }
        let query = QueryString.encode(["bucket": bucket, "filename": filename])
        var json = try await directory(get: "/get?\(query)")
        let ret = (json["ret"] as? Int) ?? -1
        guard ret == 1 else {
            throw OpsRequestError(status: ret == 5001 ? 404 : 502, description: ret == 5001 ? "no such file" : "directory ret \(ret)")
        }
        let vid = (json["vid"] as? Int).map(Int32.init) ?? 0
        let key = (json["key"] as? Int64) ?? 0, cookie = (json["cookie"] as? Int) ?? 0
        // Keys use all 64 bits; JavaScript numbers keep 53, so the page reads this string.
        json["key_text"] = String(key)
        let target = "/get?vid=\(vid)&key=\(key)&cookie=\(cookie)"
        let replicas = replicaStores(vid, snapshot)
        // One byte from each replica: its Content-Range carries the file's size, and a replica
        // that lacks the needle shows here.
        let sizes = await withTaskGroup(of: (StoreID, Result<Int64, OpsCalls.Failure>).self) { group in
            for store in replicas {
                group.addTask { (store.id, await self.size(api: store.node.api, target: target)) }
            }
            var out: [StoreID: Result<Int64, OpsCalls.Failure>] = [:]
            for await (id, r) in group { out[id] = r }
            return out
        }
        json["replicas"] = replicas.map { store -> [String: Any] in
            var entry: [String: Any] = ["store": store.id, "rack": store.node.rack, "status": OpsHistory.name(store.node.status),
                                        "live": store.isLive, "url": "http://\(store.node.api)\(target)"]
            switch sizes[store.id] {
            case .success(let size)?: entry["size"] = size
            case .failure(let e)?: entry["error"] = e.description
            case nil: break
            }
            return entry
        }
        if let size = sizes.values.compactMap({ try? $0.get() }).first { json["size"] = size }
        return json
    }

    /// The size of a needle on a store: the total of the `Content-Range` a one-byte read answers.
    private func size(api: String, target: String) async -> Result<Int64, OpsCalls.Failure> {
        guard let hp = HostPort(api) else { return .failure(OpsCalls.Failure(description: "bad address \(api)")) }
        let request = HTTPClientRequest(host: hp.host, port: hp.port, target: target, headers: [.init(name: "Range", value: "bytes=0-0")])
        switch await calls.send(request) {
        case .success(let r) where r.status.code == 206:
            guard let total = r.head.header("Content-Range")?.split(separator: "/").last.flatMap({ Int64($0) }) else {
                return .failure(OpsCalls.Failure(description: "no Content-Range"))
            }
            return .success(total)
        case .success(let r) where r.status.code == 200:
            return .success(Int64(r.body.count))
        case .success(let r):
            return .failure(OpsCalls.Failure(description: "HTTP \(r.status.code)"))
        case .failure(let e):
            return .failure(e)
        }
    }

    private func directory(get target: String) async throws(OpsRequestError) -> [String: Any] {
        switch await calls.getJSON(settings.directory.description, target) {
        case .success(let json): return json
        case .failure(let e): throw OpsRequestError(status: 502, description: "directory: \(e)")
        }
    }
}
