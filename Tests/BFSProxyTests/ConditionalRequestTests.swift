import BFSHTTP
import Testing
@testable import BFSProxy

/// The table-driven RFC 9110 test of the proxy (§13 preconditions, §14 ranges): every row is a
/// request against one file and the answer RFC 9110 prescribes for it.
@Suite struct ConditionalRequestTests {
    /// `Sun, 06 Nov 1994 08:49:37 GMT`, the RFC's own example date.
    static let modified: Int64 = 784_111_777
    static let now: Int64 = 1_700_000_000
    static let sha1 = "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"
    static let file = Representation(sha1: sha1, length: 1000, lastModified: modified, contentType: "image/jpeg")

    static let tag = "\"\(sha1)\""
    static let weakTag = "W/\"\(sha1)\""
    static let atModified = "Sun, 06 Nov 1994 08:49:37 GMT"
    static let before = "Sun, 06 Nov 1994 08:49:36 GMT"
    static let after = "Sun, 06 Nov 1994 08:49:38 GMT"

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        var method: HTTPMethod = .get
        let headers: [(String, String)]
        var file: Representation? = ConditionalRequestTests.file
        let expected: ConditionalAnswer
        var testDescription: String { name }
    }

    static let disjoint16 = (0..<16).map { "\($0 * 200)-\($0 * 200 + 9)" }.joined(separator: ",")
    static let disjoint17 = (0..<17).map { "\($0 * 200)-\($0 * 200 + 9)" }.joined(separator: ",")
    static let longFile = Representation(sha1: sha1, length: 10_000, lastModified: modified)
    static let emptyFile = Representation(sha1: sha1, length: 0, lastModified: modified)

    static let cases: [Case] = [
        Case(name: "GET without conditions", headers: [], expected: .proceed),
        Case(name: "HEAD without conditions", method: .head, headers: [], expected: .proceed),
        // If-None-Match (§13.1.2): weak comparison, lists, *.
        Case(name: "INM current tag", headers: [("If-None-Match", tag)], expected: .notModified),
        Case(name: "INM weak form of current tag", headers: [("If-None-Match", weakTag)], expected: .notModified),
        Case(name: "INM other tag", headers: [("If-None-Match", "\"other\"")], expected: .proceed),
        Case(name: "INM list containing tag", headers: [("If-None-Match", "\"other\", \(tag)")], expected: .notModified),
        Case(name: "INM list over two lines", headers: [("If-None-Match", "\"other\""), ("If-None-Match", tag)],
             expected: .notModified),
        Case(name: "INM list with empty elements", headers: [("If-None-Match", " , \"x\" ,,\(weakTag) ")],
             expected: .notModified),
        Case(name: "INM *", headers: [("If-None-Match", "*")], expected: .notModified),
        Case(name: "HEAD INM current tag", method: .head, headers: [("If-None-Match", tag)], expected: .notModified),
        Case(name: "PUT INM * on existing file", method: .put, headers: [("If-None-Match", "*")],
             expected: .preconditionFailed),
        Case(name: "PUT INM * creating a file", method: .put, headers: [("If-None-Match", "*")], file: nil,
             expected: .proceed),
        Case(name: "DELETE INM current tag", method: .delete, headers: [("If-None-Match", tag)],
             expected: .preconditionFailed),
        Case(name: "INM malformed is absent, IMS then applies",
             headers: [("If-None-Match", "abc"), ("If-Modified-Since", atModified)], expected: .notModified),
        Case(name: "INM unterminated quote is absent", headers: [("If-None-Match", "\"abc")], expected: .proceed),
        // INM evaluated before, and instead of, If-Modified-Since (§13.2.2 step 3-4).
        Case(name: "INM false makes IMS ignored",
             headers: [("If-None-Match", "\"other\""), ("If-Modified-Since", atModified)], expected: .proceed),
        Case(name: "INM true wins over modified IMS",
             headers: [("If-None-Match", tag), ("If-Modified-Since", before)], expected: .notModified),
        // If-Modified-Since (§13.1.3), all three date formats.
        Case(name: "IMS equal", headers: [("If-Modified-Since", atModified)], expected: .notModified),
        Case(name: "IMS later", headers: [("If-Modified-Since", after)], expected: .notModified),
        Case(name: "IMS earlier", headers: [("If-Modified-Since", before)], expected: .proceed),
        Case(name: "IMS RFC 850", headers: [("If-Modified-Since", "Sunday, 06-Nov-94 08:49:37 GMT")],
             expected: .notModified),
        Case(name: "IMS asctime", headers: [("If-Modified-Since", "Sun Nov  6 08:49:37 1994")], expected: .notModified),
        Case(name: "IMS asctime earlier", headers: [("If-Modified-Since", "Sun Nov  6 08:49:36 1994")],
             expected: .proceed),
        Case(name: "IMS invalid ignored", headers: [("If-Modified-Since", "yesterday")], expected: .proceed),
        Case(name: "IMS twice ignored",
             headers: [("If-Modified-Since", atModified), ("If-Modified-Since", atModified)], expected: .proceed),
        Case(name: "IMS on PUT ignored", method: .put, headers: [("If-Modified-Since", atModified)], expected: .proceed),
        // If-Match (§13.1.1): strong comparison; 412.
        Case(name: "IM current tag", method: .put, headers: [("If-Match", tag)], expected: .proceed),
        Case(name: "IM weak tag never matches", method: .put, headers: [("If-Match", weakTag)],
             expected: .preconditionFailed),
        Case(name: "IM other tag", method: .put, headers: [("If-Match", "\"other\"")], expected: .preconditionFailed),
        Case(name: "IM list containing tag", method: .delete, headers: [("If-Match", "\"a\", \(tag)")], expected: .proceed),
        Case(name: "IM * without file", method: .put, headers: [("If-Match", "*")], file: nil,
             expected: .preconditionFailed),
        Case(name: "IM * on GET", headers: [("If-Match", "*")], expected: .proceed),
        Case(name: "IM other tag on GET", headers: [("If-Match", "\"other\"")], expected: .preconditionFailed),
        Case(name: "IM false beats INM true",
             headers: [("If-Match", "\"other\""), ("If-None-Match", tag)], expected: .preconditionFailed),
        Case(name: "IM without file on GET is left to the 404", headers: [("If-Match", "*")], file: nil,
             expected: .proceed),
        Case(name: "IM without file on DELETE is left to the 404", method: .delete, headers: [("If-Match", tag)],
             file: nil, expected: .proceed),
        Case(name: "IUS without file on GET is left to the 404", headers: [("If-Unmodified-Since", before)],
             file: nil, expected: .proceed),
        // If-Unmodified-Since (§13.1.4).
        Case(name: "IUS equal", method: .put, headers: [("If-Unmodified-Since", atModified)], expected: .proceed),
        Case(name: "IUS earlier", method: .put, headers: [("If-Unmodified-Since", before)],
             expected: .preconditionFailed),
        Case(name: "IUS earlier on GET", headers: [("If-Unmodified-Since", before)], expected: .preconditionFailed),
        Case(name: "IUS ignored with If-Match", method: .put,
             headers: [("If-Match", tag), ("If-Unmodified-Since", before)], expected: .proceed),
        Case(name: "IUS ignored without file", method: .put, headers: [("If-Unmodified-Since", before)], file: nil,
             expected: .proceed),
        Case(name: "IUS invalid ignored", method: .delete, headers: [("If-Unmodified-Since", "soon")],
             expected: .proceed),
        // Range (§14.1.2, §14.2).
        Case(name: "range a-b", headers: [("Range", "bytes=0-99")], expected: .partial(0...99)),
        Case(name: "range a-", headers: [("Range", "bytes=990-")], expected: .partial(990...999)),
        Case(name: "range last clamped", headers: [("Range", "bytes=990-5000")], expected: .partial(990...999)),
        Case(name: "range suffix", headers: [("Range", "bytes=-100")], expected: .partial(900...999)),
        Case(name: "range suffix longer than file", headers: [("Range", "bytes=-5000")], expected: .partial(0...999)),
        Case(name: "range unit case-insensitive", headers: [("Range", "Bytes=0-0")], expected: .partial(0...0)),
        Case(name: "range huge first position", headers: [("Range", "bytes=99999999999999999999999-")],
             expected: .rangeNotSatisfiable),
        Case(name: "range past the end", headers: [("Range", "bytes=1000-")], expected: .rangeNotSatisfiable),
        Case(name: "range suffix zero", headers: [("Range", "bytes=-0")], expected: .rangeNotSatisfiable),
        Case(name: "range on empty file", headers: [("Range", "bytes=0-9")], file: emptyFile,
             expected: .rangeNotSatisfiable),
        Case(name: "range reversed is invalid", headers: [("Range", "bytes=5-2")], expected: .proceed),
        Case(name: "range garbage", headers: [("Range", "bytes=abc")], expected: .proceed),
        Case(name: "range without dash", headers: [("Range", "bytes=5")], expected: .proceed),
        Case(name: "range only commas", headers: [("Range", "bytes=,")], expected: .proceed),
        Case(name: "range one invalid spec poisons list", headers: [("Range", "bytes=0-9,x-y")], expected: .proceed),
        Case(name: "range other unit", headers: [("Range", "items=0-5")], expected: .proceed),
        Case(name: "range two field lines", headers: [("Range", "bytes=0-9"), ("Range", "bytes=20-29")],
             expected: .proceed),
        Case(name: "ranges two", headers: [("Range", "bytes=0-99,500-599")], expected: .multipart([0...99, 500...599])),
        Case(name: "ranges keep request order", headers: [("Range", "bytes=500-599,0-99")],
             expected: .multipart([500...599, 0...99])),
        Case(name: "ranges overlapping coalesce", headers: [("Range", "bytes=0-99,50-150")], expected: .partial(0...150)),
        Case(name: "ranges with a small gap coalesce", headers: [("Range", "bytes=150-199,0-99")],
             expected: .partial(0...199)),
        Case(name: "ranges first and last byte", headers: [("Range", "bytes=0-0,-1")],
             expected: .multipart([0...0, 999...999])),
        Case(name: "ranges unsatisfiable member dropped", headers: [("Range", "bytes=1000-2000,0-9")],
             expected: .partial(0...9)),
        Case(name: "ranges all unsatisfiable", headers: [("Range", "bytes=1000-2000,-0")],
             expected: .rangeNotSatisfiable),
        Case(name: "ranges OWS and empty elements", headers: [("Range", "bytes= 0-9 , , 500-509 ")],
             expected: .multipart([0...9, 500...509])),
        Case(name: "ranges at the bound", headers: [("Range", "bytes=" + disjoint16)], file: longFile,
             expected: .multipart((0..<16).map { Int64($0 * 200)...Int64($0 * 200 + 9) })),
        Case(name: "ranges over the bound are ignored", headers: [("Range", "bytes=" + disjoint17)], file: longFile,
             expected: .proceed),
        Case(name: "range on HEAD ignored", method: .head, headers: [("Range", "bytes=0-9")], expected: .proceed),
        Case(name: "range on PUT ignored", method: .put, headers: [("Range", "bytes=0-9")], expected: .proceed),
        // If-Range (§13.1.5).
        Case(name: "IR current tag", headers: [("If-Range", tag), ("Range", "bytes=0-9")], expected: .partial(0...9)),
        Case(name: "IR other tag", headers: [("If-Range", "\"other\""), ("Range", "bytes=0-9")], expected: .proceed),
        Case(name: "IR weak tag needs strong match", headers: [("If-Range", weakTag), ("Range", "bytes=0-9")],
             expected: .proceed),
        Case(name: "IR exact date", headers: [("If-Range", atModified), ("Range", "bytes=0-9")],
             expected: .partial(0...9)),
        Case(name: "IR RFC 850 date", headers: [("If-Range", "Sunday, 06-Nov-94 08:49:37 GMT"), ("Range", "bytes=0-9")],
             expected: .partial(0...9)),
        Case(name: "IR earlier date", headers: [("If-Range", before), ("Range", "bytes=0-9")], expected: .proceed),
        Case(name: "IR later date", headers: [("If-Range", after), ("Range", "bytes=0-9")], expected: .proceed),
        Case(name: "IR garbage", headers: [("If-Range", "tomorrow"), ("Range", "bytes=0-9")], expected: .proceed),
        Case(name: "IR without Range", headers: [("If-Range", tag)], expected: .proceed),
        Case(name: "IR true then unsatisfiable", headers: [("If-Range", tag), ("Range", "bytes=1000-")],
             expected: .rangeNotSatisfiable),
        Case(name: "IR false hides unsatisfiable range", headers: [("If-Range", "\"old\""), ("Range", "bytes=1000-")],
             expected: .proceed),
        Case(name: "IR multipart", headers: [("If-Range", tag), ("Range", "bytes=0-9,500-509")],
             expected: .multipart([0...9, 500...509])),
        // Preconditions come before Range (§13.2.2 step order).
        Case(name: "INM true beats Range", headers: [("If-None-Match", tag), ("Range", "bytes=0-9")],
             expected: .notModified),
        Case(name: "IMS true beats Range", headers: [("If-Modified-Since", atModified), ("Range", "bytes=0-9")],
             expected: .notModified),
        Case(name: "IM true then Range", headers: [("If-Match", tag), ("Range", "bytes=0-9")], expected: .partial(0...9)),
        Case(name: "IUS false beats Range", headers: [("If-Unmodified-Since", before), ("Range", "bytes=0-9")],
             expected: .preconditionFailed),
    ]

    @Test(arguments: cases)
    func answer(_ row: Case) {
        let answer = ConditionalAnswer.evaluate(method: row.method, headers: HTTPHeaders(row.headers),
                                                representation: row.file, now: Self.now)
        #expect(answer == row.expected, "\(row.name)")
    }
}
