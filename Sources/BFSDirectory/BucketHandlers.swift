import BFSCore
import BFSHTTP
import BFSMetadata

/// Bucket administration (ops, `bfs bucket`) and the lookup the proxy caches. Every answer
/// carries the secret, so none of these is open without the cluster token.
struct BucketHandlers: Sendable {
    let context: DirectoryContext

    /// `GET /bucket?name=` or `GET /bucket?key_id=`: one bucket (the proxy's auth lookup, by
    /// the bucket in the path or by the key id in a token).
    func lookup(_ ex: HTTPServerExchange) {
        let start = monotonicNanos()
        RequestFields.read(ex) { fields in
            if let name = fields.first("name"), !name.isEmpty {
                context.metadata.bucket(named: name) { answerBucket(ex, .bucket, start, $0) }
            } else if let keyID = fields.first("key_id"), !keyID.isEmpty {
                context.metadata.bucket(keyID: keyID) { answerBucket(ex, .bucket, start, $0) }
            } else {
                DirectoryReplies.badRequest(ex)
            }
        }
    }

    /// `GET /buckets`: every bucket by name.
    func list(_ ex: HTTPServerExchange) {
        let start = monotonicNanos()
        context.metadata.listBuckets { result in
            switch result {
            case .success(let buckets):
                let list = buckets.map(DirectoryReplies.bucket).joined(separator: ",")
                context.answer(ex, .buckets, DirectoryReplies.ret(.ok, extra: ",\"buckets\":[\(list)]"), ok: true, since: start)
            case .failure(let error):
                context.answer(ex, .buckets, DirectoryReplies.ret(DirectoryReplies.ret(of: error)), ok: false, since: start)
            }
        }
    }

    /// `POST /buckets/create` (`name`, optional `flags`, `domain`, `cache_policy`, `key_id`, `secret`).
    func create(_ ex: HTTPServerExchange) {
        withName(ex, .buckets) { name, fields, done in
            guard let flags = Self.flags(fields.first("flags") ?? "0") else { return done(.failure(.invalidArgument("flags"))) }
            let bucket = NewBucket(name: name, flags: flags, keyID: fields.first("key_id"), secret: fields.first("secret"),
                                   domain: fields.first("domain") ?? "", cachePolicy: fields.first("cache_policy") ?? "")
            context.metadata.createBucket(bucket, completion: done)
        }
    }

    /// `POST /buckets/update` (`name`, any of `flags`, `domain`, `cache_policy`).
    func update(_ ex: HTTPServerExchange) {
        withName(ex, .buckets) { name, fields, done in
            var update = BucketUpdate(domain: fields.first("domain"), cachePolicy: fields.first("cache_policy"))
            if let text = fields.first("flags") {
                guard let flags = Self.flags(text) else { return done(.failure(.invalidArgument("flags"))) }
                update.flags = flags
            }
            context.metadata.updateBucket(named: name, update, completion: done)
        }
    }

    /// `POST /buckets/rotate` (`name`): fresh key id and secret.
    func rotate(_ ex: HTTPServerExchange) {
        withName(ex, .buckets) { name, done in context.metadata.rotateBucketKey(named: name, completion: done) }
    }

    /// Flags as a number (bit 1 public read, bit 2 public write), only known bits.
    static func flags(_ text: String) -> BucketFlags? {
        guard let raw = Int64(text), raw >= 0, BucketFlags.all.isSuperset(of: BucketFlags(rawValue: raw)) else { return nil }
        return BucketFlags(rawValue: raw)
    }

    private func withName(_ ex: HTTPServerExchange, _ endpoint: DirectoryMetrics.Endpoint,
                          _ call: @escaping (String, @escaping MetadataCompletion<Bucket>) -> Void) {
        withName(ex, endpoint) { name, _, done in call(name, done) }
    }

    /// Reads the fields, requires `name`, runs `call` and answers `{"ret":1,"bucket":{...}}`.
    private func withName(_ ex: HTTPServerExchange, _ endpoint: DirectoryMetrics.Endpoint,
                          _ call: @escaping (String, FormFields, @escaping MetadataCompletion<Bucket>) -> Void) {
        let start = monotonicNanos()
        RequestFields.read(ex) { fields in
            guard let name = fields.first("name"), !name.isEmpty else { return DirectoryReplies.badRequest(ex) }
            call(name, fields) { answerBucket(ex, endpoint, start, $0) }
        }
    }

    /// `{"ret":1,"bucket":{...}}`, or the ret and the error's text.
    private func answerBucket(_ ex: HTTPServerExchange, _ endpoint: DirectoryMetrics.Endpoint, _ start: UInt64,
                              _ result: Result<Bucket, MetadataError>) {
        switch result {
        case .success(let bucket):
            context.answer(ex, endpoint, DirectoryReplies.ret(.ok, extra: ",\"bucket\":" + DirectoryReplies.bucket(bucket)), ok: true, since: start)
        case .failure(let error):
            let extra = ",\"error\":" + JSONText.quoted(error.description)
            context.answer(ex, endpoint, DirectoryReplies.ret(DirectoryReplies.ret(of: error), extra: extra), ok: false, since: start)
        }
    }
}
