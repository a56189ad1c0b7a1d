/// What a `Range` request header asks of a representation of known length (RFC 9110 §14).
///
/// | Header | Length 100 | Outcome |
/// |---|---|---|
/// | absent, not `bytes=`, or malformed | | `.full` (an invalid Range is ignored, §14.2) |
/// | `bytes=10-19` | | `.partial(10..<20)` |
/// | `bytes=90-` / `bytes=90-500` | | `.partial(90..<100)` (last clamped) |
/// | `bytes=-30` | | `.partial(70..<100)` (suffix); `-500` is the whole body |
/// | `bytes=100-` / `bytes=-0` | | `.unsatisfiable` (416 with `Content-Range: bytes */100`) |
/// | `bytes=0-1,5-9` | | `.full`: several ranges may be answered with the whole body (§14.2) |
/// | `bytes=20-10` | | `.full` (an invalid range-spec makes the header invalid) |
enum APIRange: Equatable {
    /// Send everything with 200.
    case full
    /// Send `range` with 206 and `Content-Range`.
    case partial(Range<Int>)
    /// Answer 416.
    case unsatisfiable

    /// Interprets `header` (the `Range` field value, or nil) for a body of `length` bytes.
    static func parse(_ header: String?, length: Int) -> APIRange {
        guard let header else { return .full }
        let trimmed = header.drop { $0 == " " }
        guard trimmed.lowercased().hasPrefix("bytes=") else { return .full }
        let spec = trimmed.dropFirst("bytes=".count)
        let specs = spec.split(separator: ",", omittingEmptySubsequences: true)
        guard specs.count == 1 else { return .full }
        let one = specs[0].trimmingCharacters(in: " \t")
        guard let dash = one.firstIndex(of: "-") else { return .full }
        let first = one[..<dash], last = one[one.index(after: dash)...]
        if first.isEmpty {
            guard let suffix = digits(last) else { return .full }
            if suffix == 0 || length == 0 { return .unsatisfiable }
            return .partial(max(0, length - suffix)..<length)
        }
        guard let start = digits(first) else { return .full }
        var end = length - 1
        if !last.isEmpty {
            guard let e = digits(last) else { return .full }
            guard e >= start else { return .full }
            end = min(e, length - 1)
        }
        guard start < length else { return .unsatisfiable }
        return .partial(start..<(end + 1))
    }

    /// A run of ASCII digits as a number (saturating: a huge position just means "past the end").
    private static func digits(_ text: Substring) -> Int? {
        guard !text.isEmpty else { return nil }
        var value = 0
        for c in text.utf8 {
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int(c - UInt8(ascii: "0")))
            value = o1 || o2 ? Int.max : s
        }
        return value
    }
}

extension Substring {
    /// The text without leading and trailing characters from `set`.
    fileprivate func trimmingCharacters(in set: String) -> Substring {
        var s = self
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return s
    }
}
