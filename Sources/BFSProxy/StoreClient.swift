import BFSCore
import BFSHTTP
import Foundation

/// The proxy's writes and deletes on stores (bfs store API, reference §1.9), on one loop's
/// HTTP client. Reads are relayed by `BodyRelay`. Completions run on that loop.
struct StoreClient {
    let client: HTTPClient
    let metrics: ProxyMetrics

    /// Multipart `POST /upload` (`vid`, `key`, `cookie`, file part `file` made of `chunks`,
    /// shared with the other replicas' requests, not copied). Succeeds on `{"ret":1}`, which a
    /// store sends only once the needle is on stable storage. Returns the request's task (nil
    /// when it failed at once).
    @discardableResult
    func upload(to store: String, key: Int64, cookie: Int32, vid: Int32, chunks: [ArraySlice<UInt8>],
                _ done: @escaping (Result<Void, ProxyFailure>) -> Void) -> HTTPClientTask? {
        guard let address = HostPort(store) else {
            done(.failure(ProxyFailure(.badGateway, "bad store address \(store)")))
            return nil
        }
        var form = MultipartWriter()
        form.addField(name: "vid", value: String(vid))
        form.addField(name: "key", value: String(key))
        form.addField(name: "cookie", value: String(cookie))
        form.addFile(name: "file", filename: "1.jpg", chunks: chunks)
        let request = HTTPClientRequest(host: address.host, port: address.port, target: "/upload", multipart: form)
        let metrics = self.metrics
        return client.execute(request, maxBodySize: 64 * 1024) { result in
            switch result {
            case .failure(let error):
                metrics.storeErrors.increment()
                done(.failure(.backend("store \(store) upload", error)))
            case .success(let response):
                let ret = Self.ret(response.body)
                guard response.status == .ok, ret == 1 else {
                    metrics.storeErrors.increment()
                    return done(.failure(ProxyFailure(.badGateway, "store \(store) upload answered HTTP \(response.status.code) ret \(ret.map(String.init) ?? "none")",
                                                      code: ret ?? Ret.internalError.rawValue)))
                }
                done(.success(()))
            }
        }
    }

    /// The exact answer bfs stores send for success.
    private static let retOK = Array("{\"ret\":1}".utf8)

    /// The `ret` of a store's JSON answer: the usual `{"ret":1}` compared as bytes, anything
    /// else parsed.
    static func ret(_ body: [UInt8]) -> Int? {
        if body == retOK { return 1 }
        return (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
            .flatMap { ($0["ret"] as? NSNumber)?.intValue }
    }

    /// `POST /del` (`key`, `vid`), best effort: the directory's reaper deletes whatever this misses.
    func delete(on store: String, key: Int64, vid: Int32) {
        guard let address = HostPort(store) else { return }
        let request = HTTPClientRequest(host: address.host, port: address.port, target: "/del",
                                        form: ["key": String(key), "vid": String(vid)])
        let metrics = self.metrics
        client.execute(request, maxBodySize: 64 * 1024) { result in
            if case .failure = result { metrics.storeErrors.increment() }
        }
    }
}
