/// A cursor over the bytes of an HTTP date, reading the pieces of the three RFC 9110 formats.
///
/// Each `read…` returns nil at the first byte that does not fit; range checks of the values
/// (day of month, hour) are left to ``HTTPDate/parse(_:now:)``.
struct HTTPDateScanner {
    /// The calendar fields of a parsed date (UTC).
    struct Fields {
        var year: Int
        var month: Int
        var day: Int
        var hour: Int
        var minute: Int
        var second: Int
    }

    private let bytes: ArraySlice<UInt8>
    private var position: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    /// Whether every byte was consumed.
    var isAtEnd: Bool { position == bytes.endIndex }

    /// `Sun, 06 Nov 1994 08:49:37 GMT`
    mutating func readIMFFixdate() -> Fields? {
        guard readName(HTTPDate.dayNames) != nil, read(", "), let day = readDigits(2),
              read(" "), let month = readName(HTTPDate.monthNames), read(" "),
              let year = readDigits(4), read(" "), var fields = readTime(), read(" GMT")
        else { return nil }
        fields.year = year
        fields.month = month + 1
        fields.day = day
        return fields
    }

    /// `Sunday, 06-Nov-94 08:49:37 GMT`; a two-digit year lands in the century around
    /// `currentYear`.
    mutating func readRFC850(currentYear: Int) -> Fields? {
        guard readName(HTTPDate.longDayNames) != nil, read(", "), let day = readDigits(2),
              read("-"), let month = readName(HTTPDate.monthNames), read("-"),
              let shortYear = readDigits(2), read(" "), var fields = readTime(), read(" GMT")
        else { return nil }
        var year = currentYear - currentYear % 100 + shortYear
        // Keep the year within (currentYear - 50, currentYear + 50]: never more than 50 years
        // ahead (RFC 9110 §5.6.7), otherwise the nearest such year.
        if year - currentYear > 50 { year -= 100 }
        if currentYear - year >= 50 { year += 100 }
        fields.year = year
        fields.month = month + 1
        fields.day = day
        return fields
    }

    /// `Sun Nov  6 08:49:37 1994`
    mutating func readAsctime() -> Fields? {
        guard readName(HTTPDate.dayNames) != nil, read(" "),
              let month = readName(HTTPDate.monthNames), read(" ")
        else { return nil }
        let day: Int
        if read(" ") {
            guard let digit = readDigits(1) else { return nil }
            day = digit
        } else {
            guard let digits = readDigits(2) else { return nil }
            day = digits
        }
        guard read(" "), var fields = readTime(), read(" "), let year = readDigits(4) else {
            return nil
        }
        fields.year = year
        fields.month = month + 1
        fields.day = day
        return fields
    }

    /// `HH:MM:SS` into a `Fields` whose date is still zero.
    private mutating func readTime() -> Fields? {
        guard let hour = readDigits(2), read(":"), let minute = readDigits(2), read(":"),
              let second = readDigits(2)
        else { return nil }
        return Fields(year: 0, month: 0, day: 0, hour: hour, minute: minute, second: second)
    }

    /// Consumes `literal` if the input continues with it.
    private mutating func read(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.endIndex - position >= count else { return false }
        let matches = literal.withUTF8Buffer { expected in
            expected.indices.allSatisfy { bytes[position + $0] == expected[$0] }
        }
        if matches { position += count }
        return matches
    }

    /// Consumes exactly `count` decimal digits.
    private mutating func readDigits(_ count: Int) -> Int? {
        guard bytes.endIndex - position >= count else { return nil }
        var value = 0
        for offset in 0..<count {
            let byte = bytes[position + offset]
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        position += count
        return value
    }

    /// Consumes one of `names` (exact case); returns its index.
    private mutating func readName(_ names: [[UInt8]]) -> Int? {
        for (index, name) in names.enumerated() {
            let end = position + name.count
            if end <= bytes.endIndex && bytes[position..<end].elementsEqual(name) {
                position = end
                return index
            }
        }
        return nil
    }
}
