import BFSHTTP
import BFSTestSupport
import Testing
@testable import BFSStore

/// The in-place `/get` query reader answers exactly as the general parser does.
@Suite struct APIGetParametersTests {
    /// What `QueryString` and `APIParameter` make of `query`.
    private func reference(_ query: String) -> APIGetParameters? {
        guard let fields = try? QueryString.parse(query),
              let vid = APIParameter.int32(fields.first("vid")),
              let key = APIParameter.int64(fields.first("key")),
              let cookie = APIParameter.int32(fields.first("cookie"))
        else { return nil }
        return APIGetParameters(vid: vid, key: key, cookie: cookie)
    }

    @Test(arguments: [
        ("vid=1&key=2&cookie=3", APIGetParameters(vid: 1, key: 2, cookie: 3)),
        ("cookie=3&key=2&vid=1", APIGetParameters(vid: 1, key: 2, cookie: 3)),
        ("&&vid=1&&key=2&cookie=3&", APIGetParameters(vid: 1, key: 2, cookie: 3)),
        ("vid=1&vid=9&key=2&cookie=3", APIGetParameters(vid: 1, key: 2, cookie: 3)),  // the first wins
        ("vid=-1&key=-9223372036854775808&cookie=-2147483648",
         APIGetParameters(vid: -1, key: Int64.min, cookie: Int32.min)),
        ("vid=2147483647&key=9223372036854775807&cookie=007",
         APIGetParameters(vid: Int32.max, key: Int64.max, cookie: 7)),
        ("vid=%31&key=2&cookie=3", APIGetParameters(vid: 1, key: 2, cookie: 3)),  // decoded by the general parser
        ("vid=%2B1&key=2&cookie=3", APIGetParameters(vid: 1, key: 2, cookie: 3)),
    ] as [(String, APIGetParameters)])
    func readsValidQueries(query: String, expected: APIGetParameters) {
        #expect(APIGetParameters.parse(query) == expected)
        #expect(reference(query) == expected)
    }

    @Test(arguments: [
        "", "vid=1&key=2", "vid=&key=2&cookie=3", "vid&key=2&cookie=3", "vid=2147483648&key=2&cookie=3",
        "vid=1&key=9223372036854775808&cookie=3", "vid=1x&key=2&cookie=3", "vid=-&key=2&cookie=3",
        "vid=+1&key=2&cookie=3", "vid= 1&key=2&cookie=3", "vid=1&key=2&cookie=3%", "vid=1&key=0x10&cookie=3",
        "VID=1&key=2&cookie=3",
    ])
    func refusesWhatTheGeneralParserRefuses(query: String) {
        #expect(APIGetParameters.parse(query) == nil)
        #expect(reference(query) == nil)
    }

    @Test func agreesWithTheGeneralParserOnRandomQueries() {
        var random = SeededGenerator(seed: SeededGenerator.printedSeed("get parameters"))
        func next(_ n: Int) -> Int { Int.random(in: 0..<n, using: &random) }
        let pieces = ["vid", "key", "cookie", "=", "=", "&", "&", "1", "0", "9", "-", "+", "%", "3", "x",
                      "2147483648", "9223372036854775807", "vid=1", "key=2", "cookie=3"]
        for _ in 0..<5000 {
            let query = (0..<(1 + next(12))).map { _ in pieces[next(pieces.count)] }.joined()
            #expect(APIGetParameters.parse(query) == reference(query), "query \(query)")
        }
    }
}
