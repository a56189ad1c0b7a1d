import Testing
@testable import BFSHTTP

@Suite struct QueryStringTests {
    @Test func goldenParse() throws {
        let fields = try QueryString.parse("a=1&b=%20x&b=2&c")
        #expect(fields.pairs == [
            .init(name: "a", value: "1"), .init(name: "b", value: " x"),
            .init(name: "b", value: "2"), .init(name: "c", value: ""),
        ])
        #expect(fields.first("b") == " x")
        #expect(fields.all("b") == [" x", "2"])
        #expect(fields.all("zzz") == [])
        #expect(fields.first("zzz") == nil)
        #expect(fields.contains("c"))
    }

    @Test(arguments: [
        ("", [FormFields.Pair]()),
        ("&&&", []),
        ("a=1&&b=2&", [.init(name: "a", value: "1"), .init(name: "b", value: "2")]),
        ("=x", [.init(name: "", value: "x")]),
        ("a=", [.init(name: "a", value: "")]),
        ("a==b", [.init(name: "a", value: "=b")]),
        ("a+b=c+d", [.init(name: "a b", value: "c d")]),
        ("p=%2B%2b+", [.init(name: "p", value: "++ ")]),
        ("k=%E2%82%AC", [.init(name: "k", value: "€")]),
        ("k=%e2%82%ac", [.init(name: "k", value: "€")]),
        ("semi=a;b", [.init(name: "semi", value: "a;b")]),
        ("bad=%FF", [.init(name: "bad", value: "\u{FFFD}")]),
        ("x=%00", [.init(name: "x", value: "\u{0}")]),
    ])
    func decodingEdgeCases(query: String, pairs: [FormFields.Pair]) throws {
        #expect(try QueryString.parse(query).pairs == pairs)
    }

    @Test(arguments: [("%", 0), ("a=%4", 2), ("a=%zz", 2), ("ok=1&a%G1=2", 6), ("a=1%2", 3)])
    func malformedEscapesNameTheOffset(query: String, offset: Int) {
        #expect(throws: FormDataError.malformedPercentEscape(offset: offset)) {
            try QueryString.parse(query)
        }
    }

    @Test func limits() throws {
        let limits = QueryString.Limits(maxPairs: 3, maxPairSize: 5)
        #expect(try QueryString.parse("a=1&b=2&c=3", limits: limits).count == 3)
        #expect(try QueryString.parse("abc=5&&&", limits: limits).count == 1)
        #expect(throws: FormDataError.tooManyPairs(limit: 3)) {
            try QueryString.parse("a=1&b=2&c=3&d=4", limits: limits)
        }
        #expect(throws: FormDataError.pairTooLarge(limit: 5)) {
            try QueryString.parse("a=1&abc=56", limits: limits)
        }
    }

    @Test func urlencodedBody() throws {
        let body = Array("key=9223372036854775807&vid=1&x=a%26b".utf8)
        let fields = try body.withUnsafeBytes { try QueryString.parse(bytes: $0) }
        #expect(fields == ["key": "9223372036854775807", "vid": "1", "x": "a&b"])
    }

    @Test func encodeMatchesGoQueryEscape() {
        let fields: FormFields = ["a b": "1+2", "k": "€/?&=~-._", "empty": ""]
        #expect(QueryString.encode(fields) == "a+b=1%2B2&k=%E2%82%AC%2F%3F%26%3D~-._&empty=")
    }

    @Test func encodeParseRoundTrip() throws {
        let seed = FormTestRandom.printedSeed("encodeParseRoundTrip")
        var random = FormTestRandom(seed: seed)
        let alphabet = Array("ab +%&=~é€\u{0}\r\n;#?/".unicodeScalars)
        for _ in 0..<200 {
            var fields = FormFields()
            for _ in 0..<Int.random(in: 0...5, using: &random) {
                func word() -> String {
                    var text = String.UnicodeScalarView()
                    for _ in 0..<Int.random(in: 0...6, using: &random) {
                        text.append(alphabet.randomElement(using: &random)!)
                    }
                    return String(text)
                }
                let name = word()
                fields.append(name: name.isEmpty ? "n" : name, value: word())
            }
            let encoded = QueryString.encode(fields)
            #expect(try QueryString.parse(encoded) == fields, "seed \(seed): \(encoded)")
        }
    }

    @Test func mergingPrefersTheReceiver() {
        let body: FormFields = ["vid": "2"]
        let query: FormFields = ["vid": "1", "key": "5"]
        let merged = body.merging(query)
        #expect(merged.first("vid") == "2")
        #expect(merged.first("key") == "5")
        #expect(merged.all("vid") == ["2", "1"])
    }
}
