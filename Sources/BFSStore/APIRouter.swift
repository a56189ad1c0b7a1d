import BFSHTTP

/// The store's **api** listener routes (reference/bfs-v1.md §1.9): `GET|HEAD /get`,
/// `POST /upload`, `POST /uploads`, `POST /del`. Other methods on these paths get 405 from the
/// router; other paths 404.
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
