import BFSCore
import BFSHTTP

/// The proxy listener's routes (the public API, DESIGN §7, reference §4.1).
///
/// | Path | Method | Answer |
/// |---|---|---|
/// | `<prefix><bucket>/<filename>` | GET, HEAD | the file (`ReadHandler`) |
/// | `<prefix><bucket>/<filename>` | PUT | store it (`WriteHandler`) |
/// | `<prefix><bucket>/<filename>` | DELETE | delete it (`DeleteHandler`) |
/// | `<prefix><bucket>/?list&prefix=&after=&limit=` | GET | a page of names (`ListHandler`) |
/// | `<prefix>...` | any other | 405 with `Allow: DELETE, GET, HEAD, PUT` |
/// | `/ping` | GET, HEAD | `{"code":0}`, or 503 `{"code":503}` while draining (drain file, or shutdown began) |
/// | `/metrics` | GET | Prometheus text |
///
/// Path problems: empty bucket 400, filename empty 400 (except PUT: content-addressed; and the
/// listing), filename over 100 bytes 413, bad percent-encoding 400.
public func makeProxyRouter(context: ProxyContext) -> HTTPRouter {
    var router = HTTPRouter()
    router.add(.get, "/ping") { ex in
        let draining = context.isDraining
        ex.respond(status: draining ? .serviceUnavailable : .ok, headers: ["Content-Type": "application/json"],
                   body: .bytes(Array((draining ? "{\"code\":503}" : "{\"code\":0}").utf8)))
    }
    router.add(.get, "/metrics") { ex in
        ex.respond(status: .ok, headers: ["Content-Type": "text/plain; version=0.0.4"], body: .bytes(context.metrics.render()))
    }
    let reads = ReadHandler(context: context), writes = WriteHandler(context: context)
    let deletes = DeleteHandler(context: context), lists = ListHandler(context: context)
    let prefix = context.settings.prefix
    router.addPrefix(.get, prefix) { raw in
        let isHead = raw.head.method == .head
        parse(raw, context: context, method: isHead ? .head : .get) { ex, path, query in
            if path.filename.isEmpty {
                guard !isHead, query.contains("list") else { return ex.fail(ProxyFailure(.badRequest, "filename required")) }
                let list = ProxyExchange(ex.raw, context: context, method: .list)
                return lists.handle(list, path: path, query: query)
            }
            reads.handle(ex, path: path, query: query)
        }
    }
    router.addPrefix(.put, prefix) { raw in
        parse(raw, context: context, method: .put) { writes.handle($0, path: $1, query: $2) }
    }
    router.addPrefix(.delete, prefix) { raw in
        parse(raw, context: context, method: .delete) { deletes.handle($0, path: $1, query: $2) }
    }
    return router
}

/// Splits the target into bucket, filename and query, or answers 400/413.
private func parse(_ raw: HTTPServerExchange, context: ProxyContext, method: ProxyMetrics.Method,
                   then: (ProxyExchange, ProxyPath, FormFields) -> Void) {
    let ex = ProxyExchange(raw, context: context, method: method)
    guard let query = try? QueryString.parse(raw.head.query) else {
        return ex.fail(ProxyFailure(.badRequest, "malformed query string"))
    }
    do throws(ProxyError) {
        let path = try ProxyPath(path: raw.head.path, prefix: context.settings.prefix)
        then(ex, path, query)
    } catch {
        switch error {
        case .pathOutsidePrefix: ex.fail(ProxyFailure(.notFound, "not under \(context.settings.prefix)"))
        case .emptyBucket: ex.fail(ProxyFailure(.badRequest, "bucket required"))
        case .filenameTooLong(let size):
            ex.fail(ProxyFailure(.contentTooLarge, "filename of \(size) bytes is over \(ContentName.maxFilenameSize)"))
        default: ex.fail(ProxyFailure(.badRequest, "malformed percent-encoding in the path"))
        }
    }
}
