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

    /// `GET /api/lookup?bucket=&filename=`: where a file lives, with links to read it.
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
        let snapshot = self.snapshot
        json["replicas"] = replicaStores(vid, snapshot).map { store -> [String: Any] in
            ["store": store.id, "rack": store.node.rack, "status": OpsHistory.name(store.node.status), "live": store.isLive,
             "url": "http://\(store.node.api)/get?vid=\(vid)&key=\(key)&cookie=\(cookie)"]
        }
        return json
    }

    private func directory(get target: String) async throws(OpsRequestError) -> [String: Any] {
        switch await calls.getJSON(settings.directory.description, target) {
        case .success(let json): return json
        case .failure(let e): throw OpsRequestError(status: 502, description: "directory: \(e)")
        }
    }
}
