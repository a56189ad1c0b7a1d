import Foundation
import Testing
@testable import BFSProxy

@Suite struct DirectoryAnswerTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// What `JSONSerialization` reads from the same body: the answer `scan` must agree with.
    static func foundation(_ text: String) -> DirectoryAnswer? {
        guard let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else { return nil }
        return DirectoryAnswer(ret: (json["ret"] as? NSNumber)?.intValue, key: (json["key"] as? NSNumber)?.int64Value,
                               cookie: (json["cookie"] as? NSNumber)?.int64Value, vid: (json["vid"] as? NSNumber)?.int64Value,
                               stores: json["stores"] as? [String], outcome: json["outcome"] as? String)
    }

    @Test func directoryAllocateAnswerIsScanned() {
        let body = #"{"ret":1,"key":1459283785637167104,"cookie":-1894795236,"vid":7,"stores":["127.0.0.1:6062","10.0.0.2:6062"],"update_time":0,"sha1":"","mine":""}"#
        let expected = DirectoryAnswer(ret: 1, key: 1_459_283_785_637_167_104, cookie: -1_894_795_236, vid: 7,
                                       stores: ["127.0.0.1:6062", "10.0.0.2:6062"], outcome: nil)
        #expect(DirectoryAnswer.scan(Self.bytes(body)) == expected)
        #expect(Self.foundation(body) == expected)
    }

    @Test func directoryCommitAnswerIsScanned() {
        let body = #"{"ret":1,"outcome":"replaced","key":12,"vid":3,"cookie":99}"#
        let expected = DirectoryAnswer(ret: 1, key: 12, cookie: 99, vid: 3, stores: nil, outcome: "replaced")
        #expect(DirectoryAnswer.scan(Self.bytes(body)) == expected)
        #expect(DirectoryAnswer.parse(Self.bytes(body)) == expected)
    }

    @Test(arguments: [
        #"{"ret":30100}"#,
        #" { "ret" : 1 , "stores" : null , "key" : -5 } "#,
        "{}",
        #"{"ret":1,"stores":[],"extra":true,"other":false,"n":null,"s":"x"}"#,
    ])
    func scannedAnswersMatchFoundation(body: String) {
        let scanned = DirectoryAnswer.scan(Self.bytes(body))
        #expect(scanned != nil)
        #expect(scanned == Self.foundation(body))
    }

    /// Shapes the scanner leaves to `JSONSerialization`; `parse` still reads them the same way.
    @Test(arguments: [
        #"{"ret":1.0}"#,
        #"{"ret":1e0}"#,
        #"{"ret":1,"outcome":"re\u0070laced"}"#,
        #"{"ret":1,"nested":{"a":1}}"#,
        #"{"ret":1,"list":[1,2]}"#,
        #"{"ret":2,"ret":1}"#,
        #"{"ret":01}"#,
        #"{"key":99999999999999999999}"#,
    ])
    func otherShapesFallBackToFoundation(body: String) {
        #expect(DirectoryAnswer.scan(Self.bytes(body)) == nil)
        #expect(DirectoryAnswer.parse(Self.bytes(body)) == Self.foundation(body))
    }

    @Test(arguments: ["", "[1]", #"{"ret":1"#, #"{"ret":1} x"#, "not json", #"{"ret":"#])
    func notAnObjectIsNil(body: String) {
        #expect(DirectoryAnswer.scan(Self.bytes(body)) == nil)
        #expect(DirectoryAnswer.parse(Self.bytes(body)) == nil)
    }
}
