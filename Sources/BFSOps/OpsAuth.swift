import BFSHTTP
import Dispatch
import Foundation

/// Who may call the API (DESIGN.md §11):
///
/// * a browser logged in with the admin password: the `bfs_ops_session` cookie (HttpOnly,
///   SameSite=Strict, Path=/) and, on every call but GET/HEAD, `X-CSRF-Token` equal to the token
///   bound to that session (a cross-site form can send the cookie's request but not the header);
/// * an API client (`bfs cluster`, scripts): `Authorization: Bearer <cluster token>`;
/// * anyone, when neither a password nor a token is configured (allowed on loopback only), as
///   long as the request names a loopback host and a mutating call carries `X-CSRF-Token` (any
///   value) or `Authorization`, which no cross-site page can send.
///
/// Logins are checked off the loop (the hash is slow by design) and limited (`OpsSessions`).
struct OpsAuth: Sendable {
    let context: OpsContext
    static let cookieName = "bfs_ops_session"

    /// How a request was let in.
    enum Grant { case session(csrf: String), token, open }

    /// Whether `ex` may proceed; answers 401/403 itself when not.
    func authorize(_ ex: HTTPServerExchange) -> Grant? {
        let settings = context.settings
        if !settings.clusterToken.isEmpty,
           ClusterTokenGate.matches(ex.head.headers["Authorization"], Array("Bearer \(settings.clusterToken)".utf8)) {
            return .token
        }
        if let id = Self.cookie(ex.head.headers["Cookie"], Self.cookieName), let session = context.sessions.session(id) {
            let safe = ex.head.method == .get || ex.head.method == .head
            guard safe || constantTimeEqual(Array((ex.head.headers["X-CSRF-Token"] ?? "").utf8), Array(session.csrf.utf8)) else {
                OpsReplies.error(ex, 403, "missing or wrong X-CSRF-Token")
                return nil
            }
            return .session(csrf: session.csrf)
        }
        if settings.clusterToken.isEmpty && settings.adminPasswordHash.isEmpty { return authorizeOpen(ex) }
        OpsReplies.error(ex, 401, "log in first")
        return nil
    }

    /// The open console (loopback, no password, no token) still refuses other sites' pages: a
    /// name that is not loopback in `Host` is a DNS rebinding, and a mutating call must carry a
    /// header a cross-site page cannot set without a CORS preflight that ops never grants
    /// (`X-CSRF-Token`, which the console sends empty, or `Authorization`, which `bfs cluster` sends).
    private func authorizeOpen(_ ex: HTTPServerExchange) -> Grant? {
        guard Self.isLoopbackName(ex.head.headers["Host"]) else {
            OpsReplies.error(ex, 403, "the open console answers loopback host names only")
            return nil
        }
        let safe = ex.head.method == .get || ex.head.method == .head
        guard safe || ex.head.headers["X-CSRF-Token"] != nil || ex.head.headers["Authorization"] != nil else {
            OpsReplies.error(ex, 403, "missing X-CSRF-Token")
            return nil
        }
        return .open
    }

    /// Whether a `Host` header names this machine by a loopback name or address (port ignored).
    static func isLoopbackName(_ host: String?) -> Bool {
        guard var name = host?.lowercased() else { return false }
        if name.hasPrefix("["), let end = name.firstIndex(of: "]") {
            name = String(name[name.index(after: name.startIndex)..<end])
        } else if let colon = name.lastIndex(of: ":") {
            name = String(name[..<colon])
        }
        if name == "localhost" || name == "::1" { return true }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// `POST /api/login` with `{"password": "..."}`: a session cookie and `{"csrf": "..."}`.
    /// Without an admin password configured the cluster token serves as the password (whoever
    /// holds it has the whole API anyway), so a node with only a token still has a console.
    func login(_ ex: HTTPServerExchange) {
        let token = context.settings.clusterToken
        guard context.password != nil || !token.isEmpty else {
            return OpsReplies.error(ex, 404, "logins are off: set ops.admin_password_hash or ops.cluster_token")
        }
        let hash = context.password
        let sessions = context.sessions
        let secure = context.settings.secureCookie
        let lifetime = context.settings.loginLifetime.components.seconds
        let client = Self.host(of: ex.remoteAddress ?? "")
        ex.collectBody(limit: 4096) { body in
            guard case .success(let bytes) = body,
                  let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any],
                  let password = object["password"] as? String else {
                return OpsReplies.error(ex, 400, "send {\"password\": \"...\"}")
            }
            guard sessions.takeLoginAttempt(from: client) else { return OpsReplies.error(ex, 429, "too many failed logins; wait a minute") }
            DispatchQueue.global().async {
                let matches = hash.map { $0.matches(password) } ?? constantTimeEqual(Array(password.utf8), Array(token.utf8))
                guard matches else { return OpsReplies.error(ex, 401, "wrong password") }
                sessions.loginSucceeded(from: client)
                let (id, csrf) = sessions.open()
                var cookie = "\(Self.cookieName)=\(id); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(lifetime)"
                if secure { cookie += "; Secure" }
                OpsReplies.json(ex, ["csrf": csrf], headers: ["Set-Cookie": cookie])
            }
        }
    }

    /// The host part of "host:port" or "[v6]:port".
    static func host(of address: String) -> String {
        guard let colon = address.lastIndex(of: ":") else { return address }
        return String(address[..<colon])
    }

    /// `GET /api/session`: the CSRF token of the caller's session (a reloaded page needs it again).
    func session(_ ex: HTTPServerExchange) {
        guard let grant = authorize(ex) else { return }
        switch grant {
        case .session(let csrf): OpsReplies.json(ex, ["csrf": csrf, "via": "session"])
        case .token: OpsReplies.json(ex, ["csrf": "", "via": "token"])
        case .open: OpsReplies.json(ex, ["csrf": "", "via": "open"])
        }
    }

    /// `POST /api/logout`: ends the session and clears the cookie.
    func logout(_ ex: HTTPServerExchange) {
        guard authorize(ex) != nil else { return }
        if let id = Self.cookie(ex.head.headers["Cookie"], Self.cookieName) { context.sessions.close(id) }
        OpsReplies.json(ex, ["ok": true], headers: ["Set-Cookie": "\(Self.cookieName)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"])
    }

    /// The value of cookie `name` in a `Cookie` header.
    static func cookie(_ header: String?, _ name: String) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            if pair.hasPrefix(name + "=") { return String(pair.dropFirst(name.count + 1)) }
        }
        return nil
    }
}

/// JSON answers of the ops API.
enum OpsReplies {
    static let jsonType = "application/json; charset=utf-8"

    /// A JSON object from `JSONSerialization` values.
    static func json(_ ex: HTTPServerExchange, _ object: [String: Any], status: Int = 200, headers: [String: String] = [:]) {
        let bytes = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map(Array.init) ?? Array("{}".utf8)
        send(ex, status, bytes, headers)
    }

    /// An `Encodable` value as JSON (snake_case keys come from the types' coding keys).
    static func encoded<T: Encodable>(_ ex: HTTPServerExchange, _ value: T, status: Int = 200) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = (try? encoder.encode(value)).map(Array.init) ?? Array("{}".utf8)
        send(ex, status, bytes, [:])
    }

    /// `{"error": message}` with `status`.
    static func error(_ ex: HTTPServerExchange, _ status: Int, _ message: String) {
        json(ex, ["error": message], status: status)
    }

    private static func send(_ ex: HTTPServerExchange, _ status: Int, _ bytes: [UInt8], _ extra: [String: String]) {
        var headers: HTTPHeaders = ["Content-Type": jsonType, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"]
        for (name, value) in extra { headers.add(name: name, value: value) }
        ex.respond(status: HTTPStatus(status), headers: headers, body: .bytes(bytes))
    }
}
