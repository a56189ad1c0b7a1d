import Foundation

/// The few members of a directory answer the upload path reads (`/allocate`, `/commit`), read
/// straight from the body's bytes.
///
/// The directory writes these answers as one flat JSON object (`DirectoryReplies`): integers,
/// strings without escapes, `null`, and `stores` as an array of strings. `scan` reads exactly
/// that shape, in any member order and with any JSON whitespace; anything else (an escape, a
/// fraction, a nested object, a duplicate member, a bfs directory with other habits) makes it
/// give up, and `parse` then reads the body with `JSONSerialization` as before, so an answer
/// means the same whichever way it was read.
struct DirectoryAnswer: Equatable {
    var ret: Int?
    var key: Int64?
    var cookie: Int64?
    var vid: Int64?
    var stores: [String]?
    var outcome: String?

    /// The members of a JSON object `body`, or nil when it is not JSON or not an object.
    static func parse(_ body: [UInt8]) -> DirectoryAnswer? {
        if let scanned = scan(body) { return scanned }
        guard let json = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else { return nil }
        return DirectoryAnswer(ret: (json["ret"] as? NSNumber)?.intValue, key: (json["key"] as? NSNumber)?.int64Value,
                               cookie: (json["cookie"] as? NSNumber)?.int64Value, vid: (json["vid"] as? NSNumber)?.int64Value,
                               stores: json["stores"] as? [String], outcome: json["outcome"] as? String)
    }

    /// The members of a flat object in the directory's own shape, nil for anything else.
    static func scan(_ body: [UInt8]) -> DirectoryAnswer? {
        body.withUnsafeBufferPointer { bytes in
            var reader = Reader(bytes: bytes)
            return reader.object()
        }
    }

    /// A cursor over the body; every method returns nil (or false) on anything unexpected.
    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var at = 0

        mutating func object() -> DirectoryAnswer? {
            var answer = DirectoryAnswer()
            var seen: UInt8 = 0  // one bit per member read, so a duplicate is left to JSONSerialization
            guard take(UInt8(ascii: "{")) else { return nil }
            if take(UInt8(ascii: "}")) { return end() ? answer : nil }
            repeat {
                guard let name = string(), take(UInt8(ascii: ":")) else { return nil }
                skipSpace()
                guard at < bytes.count else { return nil }
                let bit: UInt8
                switch name {
                case "ret":
                    guard let n = integer(), let v = Int(exactly: n) else { return nil }
                    (answer.ret, bit) = (v, 1)
                case "key":
                    guard let n = integer() else { return nil }
                    (answer.key, bit) = (n, 2)
                case "cookie":
                    guard let n = integer() else { return nil }
                    (answer.cookie, bit) = (n, 4)
                case "vid":
                    guard let n = integer() else { return nil }
                    (answer.vid, bit) = (n, 8)
                case "stores":
                    guard let list = storesValue() else { return nil }
                    (answer.stores, bit) = (list.strings, 16)
                case "outcome":
                    guard let text = string() else { return nil }
                    (answer.outcome, bit) = (text, 32)
                default:
                    guard skipScalar() else { return nil }
                    bit = 0
                }
                guard seen & bit == 0 else { return nil }
                seen |= bit
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "}")) else { return nil }
            return end() ? answer : nil
        }

        /// Only whitespace after the object.
        private mutating func end() -> Bool {
            skipSpace()
            return at == bytes.count
        }

        private mutating func skipSpace() {
            while at < bytes.count {
                switch bytes[at] {
                case 0x20, 0x09, 0x0A, 0x0D: at += 1
                default: return
                }
            }
        }

        /// Skips whitespace, then consumes `byte` if it is next.
        private mutating func take(_ byte: UInt8) -> Bool {
            skipSpace()
            guard at < bytes.count, bytes[at] == byte else { return false }
            at += 1
            return true
        }

        /// A string without escapes or control characters.
        private mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = at
            while at < bytes.count {
                let byte = bytes[at]
                if byte == UInt8(ascii: "\"") {
                    at += 1
                    return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<(at - 1)]), as: UTF8.self)
                }
                guard byte != UInt8(ascii: "\\"), byte >= 0x20 else { return nil }
                at += 1
            }
            return nil
        }

        /// An integer in JSON's form (no fraction or exponent), within Int64.
        private mutating func integer() -> Int64? {
            skipSpace()
            let negative = at < bytes.count && bytes[at] == UInt8(ascii: "-")
            if negative { at += 1 }
            let start = at
            var value: Int64 = 0
            while at < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[at]) {
                let digit = Int64(bytes[at] - UInt8(ascii: "0"))
                let (times, o1) = value.multipliedReportingOverflow(by: 10)
                let (sum, o2) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
                guard !o1, !o2 else { return nil }
                value = sum
                at += 1
            }
            let digits = at - start
            guard digits > 0, digits == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
            // A fraction or an exponent is JSONSerialization's to read.
            if at < bytes.count, bytes[at] == UInt8(ascii: ".") || bytes[at] | 0x20 == UInt8(ascii: "e") { return nil }
            return value
        }

        /// What `stores` may hold: `null` or an array of strings.
        private struct StoresValue {
            /// nil for `null`.
            var strings: [String]?
        }

        /// `null` or an array of strings; nil for anything else.
        private mutating func storesValue() -> StoresValue? {
            if literal("null") { return StoresValue(strings: nil) }
            guard take(UInt8(ascii: "[")) else { return nil }
            var list: [String] = []
            if take(UInt8(ascii: "]")) { return StoresValue(strings: list) }
            repeat {
                guard let item = string() else { return nil }
                list.append(item)
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "]")) else { return nil }
            return StoresValue(strings: list)
        }

        /// A member the upload path does not read: a number, a string, true, false or null.
        private mutating func skipScalar() -> Bool {
            if literal("null") || literal("true") || literal("false") { return true }
            if bytes[at] == UInt8(ascii: "\"") { return string() != nil }
            return integer() != nil
        }

        private mutating func literal(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard at + count <= bytes.count else { return false }
            for index in 0..<count where bytes[at + index] != word.utf8Start[index] { return false }
            at += count
            return true
        }
    }
}
