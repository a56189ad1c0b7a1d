/// An entity tag (RFC 9110 §8.8.3): an opaque quoted string, optionally marked weak (`W/`).
///
/// The proxy's own tags are strong and quote the content SHA-1 in hex, so two replicas or two
/// proxies always agree on the tag of the same bytes.
public struct EntityTag: Hashable, Sendable, CustomStringConvertible {
    /// The characters between the quotes.
    public let opaque: String
    /// Whether the tag was marked `W/`.
    public let isWeak: Bool

    /// A tag from its opaque part.
    public init(opaque: String, isWeak: Bool = false) {
        self.opaque = opaque
        self.isWeak = isWeak
    }

    /// The strong tag of a file whose content has the SHA-1 `sha1` (hex).
    public init(sha1: String) { self.init(opaque: sha1) }

    /// The field value form: `"opaque"` or `W/"opaque"`.
    public var description: String {
        var text = ""
        text.reserveCapacity(opaque.utf8.count + 4)
        text += isWeak ? "W/\"" : "\""
        text += opaque
        text += "\""
        return text
    }

    /// Strong comparison (§8.8.3.2): both strong and the same opaque string.
    public func matchesStrongly(_ other: EntityTag) -> Bool {
        !isWeak && !other.isWeak && opaque == other.opaque
    }

    /// Weak comparison (§8.8.3.2): the same opaque string, weakness ignored.
    public func matchesWeakly(_ other: EntityTag) -> Bool { opaque == other.opaque }

    /// Parses one entity tag that makes up the whole of `text` (surrounding whitespace allowed),
    /// as `If-Range` carries it; nil when it is not exactly one tag.
    public static func parse(_ text: Substring) -> EntityTag? {
        var scanner = EntityTagScanner(text.utf8)
        scanner.skipWhitespace()
        guard let tag = scanner.readTag() else { return nil }
        scanner.skipWhitespace()
        return scanner.isAtEnd ? tag : nil
    }
}

/// The value of `If-Match` or `If-None-Match` (RFC 9110 §13.1.1, §13.1.2): `*` or a list of tags.
public enum EntityTagCondition: Equatable, Sendable {
    /// `*`: any current representation.
    case any
    /// A list of tags; the condition names the representations that carry one of them.
    case tags([EntityTag])

    /// Parses the field lines of one header, joined as one list (§5.3); nil when absent or
    /// malformed, so that a field we cannot read never turns a request conditional.
    public static func parse(_ lines: [String]) -> EntityTagCondition? {
        guard !lines.isEmpty else { return nil }
        if lines.count == 1, lines[0].trimmedOWS() == "*" {
            return .any
        }
        var tags: [EntityTag] = []
        for line in lines {
            var scanner = EntityTagScanner(line.utf8[...])
            // A list may hold empty elements (`a, , b`), which recipients skip (§5.6.1.2).
            while true {
                scanner.skipWhitespace()
                if scanner.isAtEnd { break }
                if scanner.peek == UInt8(ascii: ",") { scanner.advance(); continue }
                guard let tag = scanner.readTag() else { return nil }
                tags.append(tag)
                scanner.skipWhitespace()
                if scanner.isAtEnd { break }
                guard scanner.peek == UInt8(ascii: ",") else { return nil }
                scanner.advance()
            }
        }
        return tags.isEmpty ? nil : .tags(tags)
    }
}

/// A byte cursor over the `entity-tag` grammar: `[W/] DQUOTE *etagc DQUOTE`, where `etagc` is
/// `!`, `#`-`~` or obs-text (any byte from 0x80), so no quote, space or control byte.
struct EntityTagScanner {
    private var bytes: Substring.UTF8View

    init(_ bytes: Substring.UTF8View) { self.bytes = bytes }

    var isAtEnd: Bool { bytes.isEmpty }
    var peek: UInt8? { bytes.first }
    mutating func advance() { bytes = bytes.dropFirst() }

    mutating func skipWhitespace() {
        while let b = bytes.first, b == 0x20 || b == 0x09 { bytes = bytes.dropFirst() }
    }

    mutating func readTag() -> EntityTag? {
        var weak = false
        if bytes.starts(with: "W/".utf8) {
            weak = true
            bytes = bytes.dropFirst(2)
        }
        guard bytes.first == UInt8(ascii: "\"") else { return nil }
        bytes = bytes.dropFirst()
        guard let end = bytes.firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        let opaque = bytes[..<end]
        guard opaque.allSatisfy({ $0 == 0x21 || $0 >= 0x23 && $0 != 0x7F }) else { return nil }
        bytes = bytes[bytes.index(after: end)...]
        return EntityTag(opaque: String(decoding: opaque, as: UTF8.self), isWeak: weak)
    }
}

extension StringProtocol {
    /// The text without leading and trailing optional whitespace (SP and HTAB, §5.6.3).
    func trimmedOWS() -> Substring {
        var s = self[...]
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return Substring(s)
    }
}
