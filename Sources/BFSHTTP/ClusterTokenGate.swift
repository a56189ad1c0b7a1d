/// The cluster-token gate in front of an internal listener (DESIGN.md §11), shared by every
/// service that has one (store admin, directory).
///
/// With a token configured, every request that `isOpen` does not let through must carry
/// `Authorization: Bearer <token>`; others get 401 with `WWW-Authenticate: Bearer` before any
/// handler runs. With no token the gate is open (each service then insists on a loopback bind).
public enum ClusterTokenGate {
    /// The methods the gate answers for; others get 404 (no internal API uses them).
    static let methods: [HTTPMethod] = [.get, .head, .post, .put, .delete, .options, .patch]

    /// `inner` behind the gate, or `inner` itself when `token` is empty. `isOpen` names the
    /// requests that need no token (read-only ones).
    public static func guarding(_ inner: HTTPRouter, token: String,
                                isOpen: @escaping @Sendable (HTTPRequestHead) -> Bool) -> HTTPRouter {
        guard !token.isEmpty else { return inner }
        let expected = Array("Bearer \(token)".utf8)
        var router = HTTPRouter()
        for method in methods {
            router.addPrefix(method, "/") { ex in
                guard isOpen(ex.head) || matches(ex.head.headers["Authorization"], expected) else {
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
    public static func matches(_ header: String?, _ expected: [UInt8]) -> Bool {
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

/// Builds JSON text by hand on hot paths, where an encoder's allocations would show.
public enum JSONText {
    /// A JSON string literal for `text` (quotes, backslashes and control bytes escaped).
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for u in text.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where u.value < 0x20: out += "\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count) + String(u.value, radix: 16)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    /// Appends `quoted(text)` as UTF-8 to `out`, byte by byte (an escape is only ever needed
    /// for an ASCII byte, and the bytes of other characters pass through unchanged).
    public static func appendQuoted(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case ..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hexDigit(byte >> 4))
                out.append(hexDigit(byte & 0x0F))
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Appends the decimal digits of `value` (with `-` when negative) to `out`.
    public static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for index in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[index]) }
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
