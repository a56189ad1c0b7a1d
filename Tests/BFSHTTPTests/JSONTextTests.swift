import Foundation
import Testing
@testable import BFSHTTP

@Suite struct JSONTextTests {
    @Test(arguments: ["", "plain", "q\"uote", "back\\slash", "ctl\u{1}\u{1f}\n\t", "é漢字😀", "mix\"\\\u{0}é"])
    func appendQuotedMatchesQuoted(text: String) throws {
        var bytes: [UInt8] = []
        JSONText.appendQuoted(text, to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == JSONText.quoted(text))
        // And it is JSON that reads back as the same string.
        let decoded = try JSONSerialization.jsonObject(with: Data(("[" + JSONText.quoted(text) + "]").utf8)) as? [String]
        #expect(decoded == [text])
    }

    @Test(arguments: [Int64.min, -1_894_795_236, -1, 0, 7, 1_459_283_785_637_167_104, Int64.max])
    func appendIntegerIsDecimal(value: Int64) {
        var bytes: [UInt8] = [UInt8(ascii: "x")]
        JSONText.appendInteger(value, to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == "x" + String(value))
    }
}
