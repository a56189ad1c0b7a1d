import BFSCore
import BFSHTTP
import BFSMetadata

/// The preconditions of a PUT or DELETE (RFC 9110 §13.2.1): `If-Match`, `If-None-Match` and
/// `If-Unmodified-Since`, evaluated in `ConditionalAnswer`'s order against the file as the
/// directory has it now (a fresh `/get`, never the cache), before anything is allocated or deleted.
///
/// | Request | File | Answer |
/// |---|---|---|
/// | PUT `If-None-Match: *` (create only) | exists | 412 |
/// | PUT/DELETE `If-Match: "<sha1>"` (only the version seen) | other content, or none | 412 |
/// | PUT/DELETE `If-Unmodified-Since` | modified later | 412 |
/// | DELETE with any of them | none | the delete goes on and answers 404 (412 if a file was committed meanwhile) |
///
/// Without any of these fields nothing is looked up and the write is unconditional. With them,
/// a passed check yields the state it was evaluated against (`expect_key=<key seen>`, or
/// `expect_absent=1` when there was no file) and the write carries it to the directory, which
/// checks it in the commit's or delete's own transaction: a writer committing the same name
/// between the lookup and our write makes ours answer 412 (RFC 9110 §13.1.1, no lost update).
/// `If-Unmodified-Since` is carried the same way, as the key of the version whose date passed.
struct WritePreconditions {
    let context: ProxyContext

    /// Whether `headers` carry a precondition a PUT or DELETE must honour.
    static func present(in headers: HTTPHeaders) -> Bool {
        ["If-Match", "If-None-Match", "If-Unmodified-Since"].contains { !headers.values(for: $0).isEmpty }
    }

    /// Calls `done` with success when the request may go on, carrying the expectation its write
    /// must send (nil without preconditions), else with the failure to answer (412, or the
    /// lookup's own). The caller answers, so it can release what it holds first.
    func check(_ ex: ProxyExchange, bucket: String, filename: String,
               _ done: @escaping (Result<FileExpectation?, ProxyFailure>) -> Void) {
        guard Self.present(in: ex.head.headers) else { return done(.success(nil)) }
        context.directory(on: ex.loop).lookup(bucket: bucket, filename: filename) { [context] result in
            switch result {
            case .failure(let failure):
                done(.failure(failure))
            case .success(let record):
                let representation = record.map {
                    Representation(sha1: $0.sha1, length: $0.size, lastModified: $0.mtime / 1_000_000_000)
                }
                let answer = ConditionalAnswer.evaluate(method: ex.head.method, headers: ex.head.headers,
                                                        representation: representation, now: context.now())
                guard answer != .preconditionFailed else {
                    return done(.failure(ProxyFailure(.preconditionFailed,
                                                      "precondition failed: \(filename) is not in the state the request requires")))
                }
                done(.success(record.map { .key($0.key) } ?? .absent))
            }
        }
    }
}
