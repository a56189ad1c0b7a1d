import Testing
@testable import BFSHTTP

@Suite struct HTTPDateTests {
    /// Known instants and their IMF-fixdate (checked against `date -u -d @T`).
    static let vectors: [(Int64, String)] = [
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
        (1_700_000_000, "Tue, 14 Nov 2023 22:13:20 GMT"),
        (2_147_483_647, "Tue, 19 Jan 2038 03:14:07 GMT"),
        (4_107_542_400, "Mon, 01 Mar 2100 00:00:00 GMT"),
        (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
        (-2_208_988_800, "Mon, 01 Jan 1900 00:00:00 GMT"),
        (HTTPDate.minUnixTime, "Mon, 01 Jan 0001 00:00:00 GMT"),
        (HTTPDate.maxUnixTime, "Fri, 31 Dec 9999 23:59:59 GMT"),
    ]

    @Test func formatsKnownVectors() {
        for (time, text) in Self.vectors {
            #expect(HTTPDate.format(time) == text)
            #expect(HTTPDate.format(time).utf8.count == HTTPDate.formattedSize)
        }
    }

    @Test func parsesKnownVectors() {
        for (time, text) in Self.vectors { #expect(HTTPDate.parse(text) == time, "\(text)") }
    }

    @Test func formatClampsOutOfRangeTimes() {
        #expect(HTTPDate.format(Int64.max) == "Fri, 31 Dec 9999 23:59:59 GMT")
        #expect(HTTPDate.format(Int64.min) == "Mon, 01 Jan 0001 00:00:00 GMT")
    }

    @Test func appendsToExistingBytes() {
        var bytes = Array("Date: ".utf8)
        HTTPDate.append(784_111_777, to: &bytes)
        #expect(bytes == Array("Date: Sun, 06 Nov 1994 08:49:37 GMT".utf8))
    }

    @Test func parsesTheThreeRFC9110Formats() {
        let now: Int64 = 1_700_000_000
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT", now: now) == 784_111_777)
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT", now: now) == 784_111_777)
        #expect(HTTPDate.parse("Sun Nov  6 08:49:37 1994", now: now) == 784_111_777)
        let tenDaysLater: Int64 = 784_111_777 + 10 * 86_400
        #expect(HTTPDate.parse("Wed Nov 16 08:49:37 1994", now: now) == tenDaysLater)
        #expect(HTTPDate.parse("  Sun, 06 Nov 1994 08:49:37 GMT\t", now: now) == 784_111_777)
    }

    @Test func rfc850TwoDigitYearsFollowTheFiftyYearRule() {
        let in2023: Int64 = 1_700_000_000
        // 2073 is exactly 50 years ahead (kept); 2074 would be 51 (so 1974).
        #expect(HTTPDate.parse("Sunday, 01-Jan-73 00:00:00 GMT", now: in2023)
            == HTTPDate.parse("Sun, 01 Jan 2073 00:00:00 GMT"))
        #expect(HTTPDate.parse("Tuesday, 01-Jan-74 00:00:00 GMT", now: in2023)
            == HTTPDate.parse("Tue, 01 Jan 1974 00:00:00 GMT"))
        #expect(HTTPDate.parse("Saturday, 01-Jan-00 00:00:00 GMT", now: in2023) == 946_684_800)
        let in1990: Int64 = 631_152_000
        #expect(HTTPDate.parse("Saturday, 01-Jan-00 00:00:00 GMT", now: in1990) == 946_684_800)
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT", now: in1990) == 784_111_777)
    }

    @Test(arguments: [
        "", "Sun, 06 Nov 1994 08:49:37 UTC", "sun, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 nov 1994 08:49:37 GMT", "Sun, 6 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 94 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT x",
        "Sun, 30 Feb 1994 08:49:37 GMT", "Sun, 29 Feb 1900 00:00:00 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 23:60:00 GMT",
        "Sun, 06 Nov 1994 23:59:61 GMT", "Sun, 00 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 0000 08:49:37 GMT", "Sunday, 06-Nov-1994 08:49:37 GMT",
        "Sun Nov 6 08:49:37 1994", "Sun Nov  6 08:49:37 94", "Sun,06 Nov 1994 08:49:37 GMT",
        "Funday, 06-Nov-94 08:49:37 GMT", "Sun, 06 Nov 1994 8:49:37 GMT",
    ])
    func rejectsMalformedDates(text: String) {
        #expect(HTTPDate.parse(text, now: 1_700_000_000) == nil)
    }

    @Test func leapSecondRollsOver() {
        #expect(HTTPDate.parse("Sat, 31 Dec 2016 23:59:60 GMT") == 1_483_228_800)
    }

    @Test func randomRoundTrips() {
        let seed = FormTestRandom.printedSeed("HTTPDate randomRoundTrips")
        var random = FormTestRandom(seed: seed)
        for _ in 0..<5000 {
            let time = Int64.random(in: HTTPDate.minUnixTime...HTTPDate.maxUnixTime, using: &random)
            let text = HTTPDate.format(time)
            #expect(HTTPDate.parse(text) == time, "seed \(seed): \(time) -> \(text)")
        }
    }

    @Test func calendarIsConsistentDayByDay() {
        // Walk four centuries (one full Gregorian cycle) a day at a time from 1900.
        var expected = (year: 1900, month: 1, day: 1)
        var firstMismatch: Int64?
        for days in Int64(-25_567)..<Int64(-25_567 + 146_097) {
            let civil = HTTPDate.civil(fromDays: days)
            let back = HTTPDate.daysFromCivil(year: civil.year, month: civil.month, day: civil.day)
            if firstMismatch == nil && (civil != expected || back != days) { firstMismatch = days }
            expected.day += 1
            if expected.day > HTTPDate.daysInMonth(expected.month, year: expected.year) {
                expected.day = 1
                expected.month += 1
                if expected.month > 12 { expected.month = 1; expected.year += 1 }
            }
        }
        #expect(firstMismatch == nil)
        #expect(expected == (2300, 1, 1))
    }
}
