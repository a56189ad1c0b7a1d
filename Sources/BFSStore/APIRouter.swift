import BFSHTTP

/// The store's **api** listener routes (reference/bfs-v1.md §1.9): `GET|HEAD /get`,
/// `POST /upload`, `POST /uploads`, `POST /del`. Other methods on these paths get 405 from the
/// router; other paths 404.
///
/// Every handler bounds the body it reads itself: uploads stream under the needle and batch
/// limits and answer bfs's JSON 5011/2000 (a declared Content-Length is checked before reading),
/// `/del` reads at most 64 KiB. So the listener's `HTTPServerConfiguration.maxBodyBytes` should
/// be `Int.max`: a lower server limit would turn an oversize upload into a plain-text 413 that a
/// bfs client cannot read as a `ret`.
public func makeAPIRouter(context: StoreContext) -> HTTPRouter {
    var router = HTTPRouter()
    let get = APIGetHandler(context: context)
    router.add(.get, "/get", get.handle)
    router.add(.head, "/get", get.handle)
    router.add(.post, "/upload", APIUploadHandler(context: context, batch: false).handle)
    router.add(.post, "/uploads", APIUploadHandler(context: context, batch: true).handle)
    router.add(.post, "/del", APIDeleteHandler(context: context).handle)
    return router
}

