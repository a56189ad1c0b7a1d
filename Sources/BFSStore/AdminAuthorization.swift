import BFSHTTP

/// The cluster-token gate in front of the admin listener (DESIGN.md §11, `ClusterTokenGate`).
///
/// With a token configured, every admin request but `GET|HEAD /probe` (read-only; Go bfs
/// pitchfork probes without credentials) must carry `Authorization: Bearer <token>`. The volume
/// export endpoints are gated too: they hand out whole volumes. With no token the gate is open
/// (loopback only, see `StoreSettings.securityProblem`).
enum AdminAuthorization {
    /// Paths that stay open for reads.
    static let openPaths: Set<String> = ["/probe"]

    /// `inner` behind the gate, or `inner` itself when `token` is empty.
    static func guarding(_ inner: HTTPRouter, token: String) -> HTTPRouter {
        ClusterTokenGate.guarding(inner, token: token) { head in
            (head.method == .get || head.method == .head) && openPaths.contains(head.path)
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
