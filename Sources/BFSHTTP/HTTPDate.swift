#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// HTTP dates (RFC 9110 §5.6.7): IMF-fixdate formatting and parsing of all three formats.
///
/// Plain integer calendar arithmetic (Hinnant's `days_from_civil`) instead of Foundation's
/// `DateFormatter`: the server formats the `Date` header once a second per loop and the
/// formatter's locale and time-zone machinery is neither needed nor cheap.
///
/// | Format | Example | Use |
/// |---|---|---|
/// | IMF-fixdate | `Sun, 06 Nov 1994 08:49:37 GMT` | the only one we send |
/// | RFC 850 | `Sunday, 06-Nov-94 08:49:37 GMT` | accepted; two-digit year per §5.6.7 |
/// | asctime | `Sun Nov  6 08:49:37 1994` | accepted; day padded with a space |
///
/// Names are case-sensitive and no extra bytes are allowed (surrounding whitespace aside), as
/// the grammar says; a date that does not parse makes a conditional request unconditional.
public enum HTTPDate {
    /// The length of an IMF-fixdate.
    public static let formattedSize = 29
    /// The first second formattable with a four-digit year: 0001-01-01T00:00:00Z.
    public static let minUnixTime: Int64 = -62_135_596_800
    /// The last second formattable with a four-digit year: 9999-12-31T23:59:59Z.
    public static let maxUnixTime: Int64 = 253_402_300_799

    static let dayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].map { Array($0.utf8) }
    static let longDayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                               "Saturday"].map { Array($0.utf8) }
    static let gmt = Array("GMT".utf8)
    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                             "Nov", "Dec"].map { Array($0.utf8) }

    /// The IMF-fixdate of a Unix time (seconds), clamped to years 1 through 9999.
    public static func format(_ unixTime: Int64) -> String {
        String(unsafeUninitializedCapacity: formattedSize) { buffer in
            write(unixTime, to: buffer.baseAddress!)
            return formattedSize
        }
    }

    /// Appends the IMF-fixdate of a Unix time to `bytes` (for building header blocks).
    public static func append(_ unixTime: Int64, to bytes: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: formattedSize) { buffer in
            write(unixTime, to: buffer.baseAddress!)
            bytes.append(contentsOf: buffer)
        }
    }

    /// Writes the `formattedSize` bytes of the IMF-fixdate of a Unix time at `out`: every field
    /// has a fixed place ("Sun, 06 Nov 1994 08:49:37 GMT"), so nothing is appended or allocated.
    static func write(_ unixTime: Int64, to out: UnsafeMutablePointer<UInt8>) {
        let time = Swift.min(Swift.max(unixTime, minUnixTime), maxUnixTime)
        let days = floorDivide(time, 86_400)
        let secondOfDay = Int(time - days * 86_400)
        let (year, month, day) = civil(fromDays: days)
        // 1970-01-01 was a Thursday (index 4 in `dayNames`).
        let weekday = Int((days % 7 + 7 + 4) % 7)
        func put(_ name: [UInt8], at offset: Int) {
            for i in 0..<3 { out[offset + i] = name[i] }
        }
        func put(_ value: Int, count: Int, at offset: Int) {
            var rest = value
            for i in stride(from: count - 1, through: 0, by: -1) {
                out[offset + i] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
        }
        put(dayNames[weekday], at: 0)
        out[3] = UInt8(ascii: ",")
        out[4] = UInt8(ascii: " ")
        put(day, count: 2, at: 5)
        out[7] = UInt8(ascii: " ")
        put(monthNames[month - 1], at: 8)
        out[11] = UInt8(ascii: " ")
        put(year, count: 4, at: 12)
        out[16] = UInt8(ascii: " ")
        put(secondOfDay / 3600, count: 2, at: 17)
        out[19] = UInt8(ascii: ":")
        put(secondOfDay / 60 % 60, count: 2, at: 20)
        out[22] = UInt8(ascii: ":")
        put(secondOfDay % 60, count: 2, at: 23)
        out[25] = UInt8(ascii: " ")
        put(gmt, at: 26)
    }

    /// The Unix time of an HTTP date in any of the three formats, or nil if it is malformed.
    ///
    /// - Parameter now: the current Unix time, used only to place an RFC 850 two-digit year
    ///   (a year more than 50 years ahead is taken from the previous century).
    public static func parse(_ text: String, now: Int64 = Int64(time(nil))) -> Int64? {
        var bytes = Array(text.utf8)[...]
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes = bytes.dropFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes = bytes.dropLast() }
        var scanner = HTTPDateScanner(bytes)
        let fields: HTTPDateScanner.Fields?
        if bytes.count > 3 && bytes[bytes.startIndex + 3] == UInt8(ascii: ",") {
            fields = scanner.readIMFFixdate()
        } else if bytes.count > 3 && bytes[bytes.startIndex + 3] == UInt8(ascii: " ") {
            fields = scanner.readAsctime()
        } else {
            fields = scanner.readRFC850(currentYear: civil(fromDays: floorDivide(now, 86_400)).year)
        }
        guard let fields, scanner.isAtEnd else { return nil }
        guard (1...12).contains(fields.month), (1...9999).contains(fields.year),
              (1...daysInMonth(fields.month, year: fields.year)).contains(fields.day),
              fields.hour < 24, fields.minute < 60, fields.second <= 60
        else { return nil }
        let days = daysFromCivil(year: fields.year, month: fields.month, day: fields.day)
        return days * 86_400 + Int64(fields.hour * 3600 + fields.minute * 60 + fields.second)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let shiftedMonth = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01.
    static func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * shiftedMonth + 2) / 5 + 1)
        let month = Int(shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9)
        let year = Int(yearOfEra + era * 400) + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    /// The number of days in `month` of `year` (Gregorian leap rule).
    static func daysInMonth(_ month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Division rounding toward negative infinity (times before 1970 are negative).
    static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }
}
