import BFSHTTP

/// The cluster-token gate in front of the admin listener (DESIGN.md §11).
///
/// With a token configured, every admin request but `GET|HEAD /probe` (read-only; Go bfs
/// pitchfork probes without credentials) must carry `Authorization: Bearer <token>`; others get
/// 401 with `WWW-Authenticate: Bearer` before any handler runs. The volume export endpoints are
/// gated too: they hand out whole volumes. With no token the gate is open (loopback only, see
/// `StoreSettings.securityProblem`).
enum AdminAuthorization {
    /// Paths that stay open for reads.
    static let openPaths: Set<String> = ["/probe"]

    /// The methods the gate answers for; others get 404 (the admin API uses none of them).
    static let methods: [HTTPMethod] = [.get, .head, .post, .put, .delete, .options, .patch]

    /// `inner` behind the gate, or `inner` itself when `token` is empty.
    static func guarding(_ inner: HTTPRouter, token: String) -> HTTPRouter {
        guard !token.isEmpty else { return inner }
        let expected = Array("Bearer \(token)".utf8)
        var router = HTTPRouter()
        for method in methods {
            router.addPrefix(method, "/") { ex in
                let open = (ex.head.method == .get || ex.head.method == .head) && openPaths.contains(ex.head.path)
                guard open || matches(ex.head.headers["Authorization"], expected) else {
                    return ex.respond(status: .unauthorized, headers: ["WWW-Authenticate": "Bearer"],
                                      body: .bytes(Array("cluster token required\n".utf8)))
                }
                dispatch(ex, inner)
            }
        }
        return router
    }

    /// Compares the header with the expected value in time that depends only on their lengths,
    /// so response timing does not reveal how many leading bytes of a guess were right.
    static func matches(_ header: String?, _ expected: [UInt8]) -> Bool {
        guard let header else { return false }
        let given = Array(header.utf8)
        // Not the low byte of the length difference: lengths 256 apart would compare equal.
        var difference: UInt8 = given.count == expected.count ? 0 : 1
        for i in 0..<expected.count {
            difference |= expected[i] ^ (i < given.count ? given[i] : 0)
        }
        return difference == 0
    }

    /// Runs the inner route, answering unknown paths and methods as the server itself would.
    private static func dispatch(_ ex: HTTPServerExchange, _ inner: HTTPRouter) {
        switch inner.resolve(ex.head.method, ex.head.path) {
        case .handler(let handler):
            handler(ex)
        case .methodNotAllowed(let allowed):
            ex.respond(status: .methodNotAllowed, headers: ["Allow": allowed.map(\.rawValue).joined(separator: ", ")],
                       body: .bytes(Array("405 Method Not Allowed\n".utf8)))
        case .notFound:
            ex.respond(status: .notFound, body: .bytes(Array("404 Not Found\n".utf8)))
        }
    }
}

extension StoreContext {
    /// `request` with the cluster token attached, for calls to a peer's admin listener (pulls).
    func authorized(_ request: HTTPClientRequest) -> HTTPClientRequest {
        guard !settings.clusterToken.isEmpty else { return request }
        var r = request
        r.headers.append(FormFields.Pair(name: "Authorization", value: "Bearer \(settings.clusterToken)"))
        return r
    }
}
