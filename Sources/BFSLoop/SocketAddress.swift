import CUV
import Glibc

/// A numeric IPv4 or IPv6 socket address, as libuv's bind/connect calls take it.
struct SocketAddress {
    var storage = sockaddr_storage()

    /// Parses a numeric host ("127.0.0.1", "::1", "0.0.0.0"); nil for names or garbage.
    init?(host: String, port: Int) {
        guard (0...65535).contains(port) else { return nil }
        let ok = withUnsafeMutableBytes(of: &storage) { raw -> Bool in
            if uv_ip4_addr(host, Int32(port), raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self)) == 0 {
                return true
            }
            return uv_ip6_addr(host, Int32(port), raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self)) == 0
        }
        if !ok { return nil }
    }

    /// Copies the first `addrinfo` address (from `uv_getaddrinfo`).
    init(copying addr: UnsafePointer<sockaddr>, length: Int) {
        withUnsafeMutableBytes(of: &storage) { raw in
            raw.copyMemory(from: UnsafeRawBufferPointer(start: addr, count: min(length, raw.count)))
        }
    }

    /// AF_INET or AF_INET6.
    var family: Int32 { Int32(storage.ss_family) }

    /// Calls `body` with the address as the `sockaddr` pointer C wants.
    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>) -> R) -> R {
        withUnsafeBytes(of: storage) { body($0.baseAddress!.assumingMemoryBound(to: sockaddr.self)) }
    }

    /// Reads the port of a bound or connected address.
    static func port(of storage: sockaddr_storage) -> Int {
        withUnsafeBytes(of: storage) { raw -> Int in
            switch Int32(storage.ss_family) {
            case AF_INET: return Int(UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port))
            case AF_INET6: return Int(UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port))
            default: return 0
            }
        }
    }

    /// "host:port" (IPv6 in brackets) for logs.
    static func describe(_ storage: sockaddr_storage) -> String {
        var buf = [CChar](repeating: 0, count: 64)
        let port = port(of: storage)
        return withUnsafeBytes(of: storage) { raw -> String in
            switch Int32(storage.ss_family) {
            case AF_INET:
                uv_ip4_name(raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self), &buf, buf.count)
                return "\(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)):\(port)"
            case AF_INET6:
                uv_ip6_name(raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self), &buf, buf.count)
                return "[\(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))]:\(port)"
            default:
                return "?"
            }
        }
    }
}
