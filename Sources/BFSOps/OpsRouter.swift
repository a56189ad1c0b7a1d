import BFSCore
import BFSHTTP
import Foundation

/// The ops listener's routes. Everything under `/api/` but login answers JSON and needs a
/// grant (`OpsAuth`); 4xx answers change nothing and carry `{"error": "..."}`.
///
/// | Path | Method | Body (JSON) / query | Answer |
/// |---|---|---|---|
/// | `/api/login` | POST | `{"password"}` | `{"csrf"}` and the session cookie; 401 wrong, 429 limited |
/// | `/api/session` | GET | — | `{"csrf","via"}`; 401 when not logged in |
/// | `/api/logout` | POST | — | `{"ok":true}` |
/// | `/api/overview` | GET | — | `Overview` |
/// | `/api/stores/free-volumes` | POST | `{"stores"?,"count"\|"at_least"\|"size","dir"?}` | `{"ok","results":[StoreResult]}` |
/// | `/api/groups` | POST | `{"stores"?,"copies"}` | `{"ok","groups","skipped","leftover"}` |
/// | `/api/volumes` | POST | `{"groups"?,"count"?,"keep_free"?}` | `{"ok","groups":[{group,ok,detail,volumes:[{vid,ok,stores}]}]}` |
/// | `/api/compact` | POST | `{"vid"}` | 202 `{"job"}` (the running job when one already follows `vid`) |
/// | `/api/repair` | POST | `{"vid","store","from"?}` | 202 `{"job"}`; 409 nothing to copy from, the store has it, or `store` is neither a replica nor in the volume's group |
/// | `/api/jobs` | GET | — | `{"jobs":[Job]}` |
/// | `/api/jobs/<id>` | GET | — | `Job` (`OpsJobs`) |
/// | `/api/buckets` | GET | — | the directory's list, secrets removed |
/// | `/api/buckets/create`, `/update`, `/rotate` | POST | `{"name","flags"?,"domain"?,"cache_policy"?}` | `{"ret":1,"bucket":{...}}`; secret only from create and rotate |
/// | `/api/lookup` | GET | `?bucket=&filename=` | the directory's `/get` plus `replicas` with read links |
///
/// `ok` is false when any store's part failed (for groups: also when a named store ended in no
/// group); the per-store entries say which and why.
/// Other GET paths serve the UI (`OpsAssets`).
func makeOpsRouter(context: OpsContext, assets: OpsAssets) -> HTTPRouter {
    var router = HTTPRouter()
    let auth = OpsAuth(context: context)
    router.add(.post, "/api/login", auth.login)
    router.add(.get, "/api/session", auth.session)
    router.add(.post, "/api/logout", auth.logout)

    router.add(.get, "/api/overview", guarded(auth) { _, _ throws(OpsRequestError) in
        .encoded(await context.overview())
    })
    router.add(.post, "/api/stores/free-volumes", guarded(auth) { body, _ throws(OpsRequestError) in
        let request: OpsContext.AddFreeVolumesRequest = try decode(body)
        let results = try await context.provision { () async throws(OpsRequestError) in try await context.addFreeVolumes(request) }
        return .object(["ok": results.allSatisfy(\.ok), "results": try plain(results)])
    })
    router.add(.post, "/api/groups", guarded(auth) { body, _ throws(OpsRequestError) in
        let request: OpsContext.CreateGroupsRequest = try decode(body)
        let reply = try await context.provision { () async throws(OpsRequestError) in try await context.createGroups(request) }
        return .object(try plain(reply) as? [String: Any] ?? [:])
    })
    router.add(.post, "/api/volumes", guarded(auth) { body, _ throws(OpsRequestError) in
        let request: OpsContext.AllocateRequest = try decode(body)
        let groups = try await context.provision { () async throws(OpsRequestError) in try await context.allocate(request) }
        return .object(["ok": groups.allSatisfy(\.ok), "groups": try plain(groups)])
    })
    router.add(.post, "/api/compact", guarded(auth) { body, _ throws(OpsRequestError) in
        .object(["job": try await context.compact(try decode(body))], status: 202)
    })
    router.add(.post, "/api/repair", guarded(auth) { body, _ throws(OpsRequestError) in
        .object(["job": try await context.repair(try decode(body))], status: 202)
    })
    router.add(.get, "/api/jobs", guarded(auth) { _, _ throws(OpsRequestError) in
        .object(["jobs": try plain(context.jobs.all)])
    })
    router.addPrefix(.get, "/api/jobs/", guarded(auth) { _, head throws(OpsRequestError) in
        let id = String(head.path.dropFirst("/api/jobs/".count))
        guard let job = context.jobs.job(id) else { throw .notFound("no job \(id)") }
        return .encoded(job)
    })
    router.add(.get, "/api/buckets", guarded(auth) { _, _ throws(OpsRequestError) in
        .object(try await context.listBuckets())
    })
    router.addPrefix(.post, "/api/buckets/", guarded(auth) { body, head throws(OpsRequestError) in
        let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        guard let object else { throw .bad("the body must be a JSON object") }
        return .object(try await context.bucket(String(head.path.dropFirst("/api/buckets/".count)), object))
    })
    router.add(.get, "/api/lookup", guarded(auth) { _, head throws(OpsRequestError) in
        let query = (try? QueryString.parse(head.query)) ?? FormFields()
        return .object(try await context.lookup(bucket: query.first("bucket") ?? "", filename: query.first("filename") ?? ""))
    })
    router.addPrefix(.get, "/api/", { ex in OpsReplies.error(ex, 404, "no such API path") })
    router.addPrefix(.get, "/", assets.serve)
    return router
}

/// What an API action answers.
enum OpsAnswer {
    case object([String: Any], status: Int = 200)
    case encoded(any Encodable & Sendable)
}

/// An API route: authorizes, reads the body (up to 1 MiB), runs `action` as a task (never on
/// the loop) and answers its result, or its `OpsRequestError` as a 4xx/5xx.
private func guarded(_ auth: OpsAuth,
                     _ action: @escaping @Sendable ([UInt8], HTTPRequestHead) async throws(OpsRequestError) -> OpsAnswer) -> HTTPRouter.Handler {
    return { ex in
        guard auth.authorize(ex) != nil else { return }
        ex.collectBody(limit: 1 << 20) { body in
            guard case .success(let bytes) = body else { return OpsReplies.error(ex, 400, "unreadable body") }
            let head = ex.head
            Task {
                do {
                    switch try await action(bytes, head) {
                    case .object(let object, let status): OpsReplies.json(ex, object, status: status)
                    case .encoded(let value): OpsReplies.encoded(ex, value)
                    }
                } catch let error as OpsRequestError {
                    OpsReplies.error(ex, error.status, error.description)
                } catch {
                    OpsReplies.error(ex, 500, "\(error)")
                }
            }
        }
    }
}

/// Decodes a JSON request body; `{}` when empty.
private func decode<T: Decodable>(_ body: [UInt8]) throws(OpsRequestError) -> T {
    do { return try JSONDecoder().decode(T.self, from: body.isEmpty ? Data("{}".utf8) : Data(body)) } catch {
        throw .bad("bad request body: \(describe(error))")
    }
}

/// An `Encodable` as `JSONSerialization` values, to merge into an object.
private func plain<T: Encodable>(_ value: T) throws(OpsRequestError) -> Any {
    do { return try JSONSerialization.jsonObject(with: JSONEncoder().encode(value), options: [.fragmentsAllowed]) } catch {
        throw OpsRequestError(status: 500, description: "encoding the answer failed: \(error)")
    }
}

/// A decoding error in words: which key and what was wrong.
private func describe(_ error: any Error) -> String {
    switch error as? DecodingError {
    case .keyNotFound(let key, _)?: return "\(key.stringValue) is required"
    case .typeMismatch(_, let c)?, .valueNotFound(_, let c)?, .dataCorrupted(let c)?:
        let path = c.codingPath.map(\.stringValue).joined(separator: ".")
        return path.isEmpty ? c.debugDescription : "\(path): \(c.debugDescription)"
    default: return "\(error)"
    }
}
