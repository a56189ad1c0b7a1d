import BFSHTTP

/// The `vid`, `key` and `cookie` of a `/get` query (reference/bfs-v1.md §1.9).
///
/// A query with nothing to decode (no `%`, no `+`) and short enough that no `QueryString` limit
/// can apply is read in place, without building strings; the answer is the same as the general
/// parser's: the first pair of each name, numbers as `APIParameter` reads them. Anything else
/// goes through `QueryString.parse`.
struct APIGetParameters: Equatable {
    var vid: Int32
    var key: Int64
    var cookie: Int32

    /// Queries up to this many bytes are read in place: far below the 1,000 pairs and 64 KiB per
    /// pair of `QueryString.Limits`, and far above `vid=…&key=…&cookie=…` (about 50 bytes).
    static let inPlaceMaxSize = 512

    /// The parameters, or nil when one is missing or not a number in range (a 400).
    static func parse(_ query: String) -> APIGetParameters? {
        var text = query
        let inPlace = text.withUTF8 { bytes -> APIGetParameters?? in
            let raw = UnsafeRawBufferPointer(bytes)
            guard raw.count <= inPlaceMaxSize,
                  !raw.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") })
            else { return .none }
            return .some(parse(raw))
        }
        if let inPlace { return inPlace }
        guard let fields = try? QueryString.parse(query),
              let vid = APIParameter.int32(fields.first("vid")),
              let key = APIParameter.int64(fields.first("key")),
              let cookie = APIParameter.int32(fields.first("cookie"))
        else { return nil }
        return APIGetParameters(vid: vid, key: key, cookie: cookie)
    }

    /// Reads a query that needs no decoding.
    static func parse(_ query: UnsafeRawBufferPointer) -> APIGetParameters? {
        var vid: Int64??, key: Int64??, cookie: Int64??
        var start = 0
        while start < query.count {
            var end = start
            while end < query.count && query[end] != UInt8(ascii: "&") { end += 1 }
            if end > start {
                var equals = start
                while equals < end && query[equals] != UInt8(ascii: "=") { equals += 1 }
                let name = UnsafeRawBufferPointer(rebasing: query[start..<equals])
                let value = UnsafeRawBufferPointer(rebasing: query[min(equals + 1, end)..<end])
                if vid == nil, name.elementsEqual("vid".utf8) {
                    vid = .some(decimal(value, min: Int64(Int32.min), max: Int64(Int32.max)))
                } else if key == nil, name.elementsEqual("key".utf8) {
                    key = .some(decimal(value, min: Int64.min, max: Int64.max))
                } else if cookie == nil, name.elementsEqual("cookie".utf8) {
                    cookie = .some(decimal(value, min: Int64(Int32.min), max: Int64(Int32.max)))
                }
            }
            start = end + 1
        }
        guard let vid = vid ?? nil, let key = key ?? nil, let cookie = cookie ?? nil else { return nil }
        return APIGetParameters(vid: Int32(vid), key: key, cookie: Int32(cookie))
    }

    /// A decimal integer as `APIParameter` reads it (optional sign, at least one digit, nothing
    /// else, within `min...max`), or nil.
    static func decimal(_ text: UnsafeRawBufferPointer, min: Int64, max: Int64) -> Int64? {
        var i = 0
        var negative = false
        if text.count > 0 && (text[0] == UInt8(ascii: "-") || text[0] == UInt8(ascii: "+")) {
            negative = text[0] == UInt8(ascii: "-")
            i = 1
        }
        guard i < text.count else { return nil }
        // Accumulate negatively so Int64.min parses without overflow.
        var value: Int64 = 0
        while i < text.count {
            let d = text[i] &- UInt8(ascii: "0")
            guard d < 10 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.subtractingReportingOverflow(Int64(d))
            guard !o1, !o2 else { return nil }
            value = s
            i += 1
        }
        if !negative {
            guard value != Int64.min else { return nil }
            value = -value
        }
        return value >= min && value <= max ? value : nil
    }
}
