import BFSCore
import BFSHTTP

/// The directory listener's routes. With a cluster token configured, only the rows marked open
/// answer without `Authorization: Bearer <token>` (DESIGN.md §11).
///
/// | Path | Method | Parameters (query or urlencoded body) | Answer | Open |
/// |---|---|---|---|---|
/// | `/ping` | any | — | `{"code":0}` | yes |
/// | `/get` | GET | `bucket`, `filename` | bfs reply (`BFSReply`), plus `size` | yes |
/// | `/upload` | POST | `bucket`, `filename`, `sha1`, `mine`, `mtime` | bfs reply; 5000 for an existing filename | no |
/// | `/del` | POST | `bucket`, `filename`, `expect_key`? or `expect_absent`? (`ExpectationFields`) | bfs reply; the needle becomes a tombstone; 412 for an unmet expectation | no |
/// | `/allocate` | POST | `bucket`, `filename`, `mime`?, `exclude_vid`*, `exclude_group`* | bfs reply fields: key, cookie, vid, stores; placed outside the excluded groups (named, or holding an excluded vid) | no |
/// | `/commit` | POST | `key`, `sha1`, `size`, `mtime`, `mime`?, `expect_key`? or `expect_absent`? | `{"ret":1,"outcome":"created"\|"replaced","key","vid","cookie"}`; 412 for an unmet expectation | no |
/// | `/abort` | POST | `key` | `{"ret":1}` | no |
/// | `/list` | GET | `bucket`, `prefix`?, `after`?, `limit`? (1 ... 1000, default 1000) | `{"ret":1,"files":[{"filename","size","sha1","mime","mtime"}],"next":name\|null}` | no |
/// | `/bucket` | GET | `name` or `key_id` | `{"ret":1,"bucket":{name,flags,key_id,secret,domain,cache_policy}}` | no |
/// | `/buckets` | GET | — | `{"ret":1,"buckets":[...]}` | no |
/// | `/buckets/create` | POST | `name`, `flags`?, `domain`?, `cache_policy`?, `key_id`?, `secret`? | as `/bucket` | no |
/// | `/buckets/update` | POST | `name`, `flags`?, `domain`?, `cache_policy`? | as `/bucket` | no |
/// | `/buckets/rotate` | POST | `name` | as `/bucket`, with the new key id and secret | no |
/// | `/metrics` | GET | — | Prometheus text | yes |
///
/// Missing or malformed parameters answer HTTP 400 `bad request` as bfs did; everything else
/// is HTTP 200 with a `ret` (reference/bfs-v1.md §1.10). `flags`: bit 1 public read, bit 2
/// public write.
public func makeDirectoryRouter(context: DirectoryContext) -> HTTPRouter {
    var router = HTTPRouter()
    let api = BFSAPIHandlers(context: context)
    let twoPhase = TwoPhaseHandlers(context: context)
    let buckets = BucketHandlers(context: context)
    for method: HTTPMethod in [.get, .post, .put, .delete, .head, .options, .patch] {
        router.add(method, "/ping") { ex in DirectoryReplies.json(ex, "{\"code\":0}") }
    }
    router.add(.get, "/get", api.get)
    router.add(.post, "/upload", api.upload)
    router.add(.post, "/del", api.del)
    router.add(.post, "/allocate", twoPhase.allocate)
    router.add(.post, "/commit", twoPhase.commit)
    router.add(.post, "/abort", twoPhase.abort)
    router.add(.get, "/list", ListingHandler(context: context).list)
    router.add(.get, "/bucket", buckets.lookup)
    router.add(.get, "/buckets", buckets.list)
    router.add(.post, "/buckets/create", buckets.create)
    router.add(.post, "/buckets/update", buckets.update)
    router.add(.post, "/buckets/rotate", buckets.rotate)
    router.add(.get, "/metrics") { ex in
        // A few dozen fixed series: rendering is short CPU work, fine on the loop.
        let start = monotonicNanos()
        context.metrics.record(.metrics, ok: true, elapsedNanos: monotonicNanos() &- start)
        ex.respond(status: .ok, headers: ["Content-Type": "text/plain; version=0.0.4"], body: .bytes(context.metrics.render()))
    }
    return ClusterTokenGate.guarding(router, token: context.settings.clusterToken) { head in
        openPaths.contains(head.path) && (head.method == .get || head.method == .head || head.path == "/ping")
    }
}

/// Read-only routes that need no token: bfs proxies look files up without one, and scrapers
/// read metrics.
private let openPaths: Set<String> = ["/ping", "/get", "/metrics"]
