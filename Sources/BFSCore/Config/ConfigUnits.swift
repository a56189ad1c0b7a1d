/// Parsers for the unit-bearing values of config files.
public enum ConfigUnits {
    /// `"250ms"`, `"10s"`, `"5m"`, `"1h"`, `"0"`; nil when malformed or negative.
    public static func parseDuration(_ text: String) -> Duration? {
        let s = text.trimmingSpaces()
        if s == "0" { return .zero }
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        for (suffix, ms) in units where s.hasSuffix(suffix) {
            let number = s.dropLast(suffix.count)
            // "ms" also ends in "s": only accept digits before the unit.
            guard !number.isEmpty, number.allSatisfy(\.isASCIIDigit), let n = Int64(number) else { continue }
            let (product, overflow) = n.multipliedReportingOverflow(by: ms)
            return overflow ? nil : .milliseconds(product)
        }
        return nil
    }

    /// `"4096"`, `"64KiB"`, `"10MiB"`, `"32GiB"`, `"1TiB"` (also `KB`/`MB`/`GB` as powers of 1024, as
    /// operators of bfs write them); nil when malformed.
    public static func parseByteSize(_ text: String) -> Int64? {
        let s = text.trimmingSpaces()
        let units: [(String, Int64)] = [
            ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40),
            ("KB", 1 << 10), ("MB", 1 << 20), ("GB", 1 << 30), ("TB", 1 << 40),
            ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("T", 1 << 40), ("B", 1),
        ]
        for (suffix, scale) in units where s.hasSuffix(suffix) {
            let number = s.dropLast(suffix.count).trimmingSpaces()
            guard !number.isEmpty, number.allSatisfy(\.isASCIIDigit), let n = Int64(number) else { return nil }
            let (product, overflow) = n.multipliedReportingOverflow(by: scale)
            return overflow ? nil : product
        }
        guard !s.isEmpty, s.allSatisfy(\.isASCIIDigit) else { return nil }
        return Int64(s)
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}

extension Duration {
    /// Whole milliseconds (rounded down), the unit libuv timers take.
    public var wholeMilliseconds: Int64 {
        let c = components
        return c.seconds * 1000 + c.attoseconds / 1_000_000_000_000_000
    }
}
