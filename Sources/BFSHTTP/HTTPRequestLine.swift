/// What a request line turns out to be once http-parser has refused its method.
enum HTTPRequestLineVerdict: Equatable {
    /// `token SP target SP HTTP/d.d CRLF` with a method we do not implement (answered with 501).
    case unknownMethod
    /// Not a request line at all: a stray space, a control byte, TLS on a plain port (400).
    case malformed
    /// The bytes so far could still become a well-formed line.
    case incomplete
}

/// The request-line grammar of RFC 9112 §3, used only to tell an unimplemented method (501)
/// from a malformed line (400): http-parser reports both as an invalid method.
///
/// | part           | bytes                                         |
/// |----------------|-----------------------------------------------|
/// | method         | 1+ tchar (RFC 9110 §5.6.2), case-sensitive    |
/// | SP             | exactly one 0x20                              |
/// | request-target | 1+ bytes > 0x20 except DEL                    |
/// | SP             | exactly one 0x20                              |
/// | version        | `HTTP/` DIGIT `.` DIGIT                       |
/// | end            | CRLF (a bare LF is accepted, as http-parser does) |
enum HTTPRequestLine {
    /// Classifies the bytes of a message from its first byte (leading empty lines removed).
    static func classify(_ line: [UInt8]) -> HTTPRequestLineVerdict {
        var i = 0
        // method
        while i < line.count, isTokenByte(line[i]) { i += 1 }
        guard i < line.count else { return .incomplete }
        guard i > 0, line[i] == 0x20 else { return .malformed }
        i += 1
        // request-target
        let targetStart = i
        while i < line.count, line[i] > 0x20, line[i] != 0x7F { i += 1 }
        guard i < line.count else { return .incomplete }
        guard i > targetStart, line[i] == 0x20 else { return .malformed }
        i += 1
        // version: every byte must match where it is a literal, be a digit where it is one
        let version = Array("HTTP/0.0".utf8)
        for expected in version {
            guard i < line.count else { return .incomplete }
            let ok = expected == UInt8(ascii: "0") ? isDigit(line[i]) : line[i] == expected
            guard ok else { return .malformed }
            i += 1
        }
        guard i < line.count else { return .incomplete }
        if line[i] == 0x0A { return .unknownMethod }
        guard line[i] == 0x0D else { return .malformed }
        i += 1
        guard i < line.count else { return .incomplete }
        return line[i] == 0x0A ? .unknownMethod : .malformed
    }

    /// tchar: "!#$%&'*+-.^_`|~", digits and letters.
    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): return true
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return true
        default: return Array("!#$%&'*+-.^_`|~".utf8).contains(b)
        }
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
}
