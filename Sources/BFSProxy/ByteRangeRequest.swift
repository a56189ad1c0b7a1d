/// What a `Range` header asks of a representation of known length (RFC 9110 §14.1, §14.2).
///
/// | `Range` (length 100) | Outcome |
/// |---|---|
/// | absent, another unit, or any malformed spec | `.ignored`: answer 200 (§14.2) |
/// | `bytes=10-19` | `.satisfiable([10...19])` |
/// | `bytes=90-` / `bytes=90-500` | `.satisfiable([90...99])` (last position clamped) |
/// | `bytes=-30` / `bytes=-500` | `.satisfiable([70...99])` / `[0...99]` (suffix) |
/// | `bytes=0-9,50-59` | both ranges, in request order |
/// | `bytes=0-9,5-20` / `bytes=0-9,40-49` | coalesced to `[0...20]` / `[0...49]` (gap under `coalescingGap`) |
/// | `bytes=200-`, `bytes=-0`, or any spec on length 0 | `.unsatisfiable`: 416 with `Content-Range: bytes */100` |
/// | `bytes=20-10` | `.ignored` (an invalid spec makes the whole field invalid) |
/// | more than `maxRanges` ranges left after coalescing | `.ignored`: the whole body, 200 |
///
/// Satisfiable specs win over unsatisfiable ones in the same list (§14.1.1: the set is
/// satisfiable when any spec is).
public enum ByteRangeRequest: Equatable, Sendable {
    /// No usable range request: send the whole representation.
    case ignored
    /// Send these ranges (inclusive positions, non-overlapping, at least one).
    case satisfiable([ClosedRange<Int64>])
    /// No spec selects any byte: 416.
    case unsatisfiable

    /// The most ranges one answer carries. Many small ranges cost a part header each and are a
    /// known amplification trick (§14.2 allows ignoring them); 16 covers real readers such as
    /// PDF viewers and video players, which ask for a handful.
    public static let maxRanges = 16

    /// Ranges closer than this are merged (§14.6 allows it): a part header with a boundary,
    /// `Content-Type` and `Content-Range` already takes about this many bytes, so sending the
    /// gap is cheaper than another part.
    public static let coalescingGap: Int64 = 80

    /// Interprets the `Range` field lines of a request for a body of `length` bytes.
    public static func parse(_ lines: [String], length: Int64) -> ByteRangeRequest {
        // The field is a singleton; several lines cannot be one valid value.
        guard lines.count == 1 else { return .ignored }
        let value = lines[0].trimmedOWS()
        guard let equals = value.firstIndex(of: "="),
              value[..<equals].lowercased() == "bytes"
        else { return .ignored }
        var ranges: [ClosedRange<Int64>] = []
        var specCount = 0
        for element in value[value.index(after: equals)...].split(separator: ",", omittingEmptySubsequences: false) {
            let spec = element.trimmedOWS()
            if spec.isEmpty { continue }
            specCount += 1
            guard let parsed = parseSpec(spec) else { return .ignored }
            if let range = parsed.resolved(length: length) { ranges.append(range) }
        }
        guard specCount > 0 else { return .ignored }
        guard !ranges.isEmpty else { return .unsatisfiable }
        let merged = coalesce(ranges)
        return merged.count > maxRanges ? .ignored : .satisfiable(merged)
    }

    /// One `range-spec` before the length is known.
    enum Spec {
        case from(Int64, through: Int64?)
        case suffix(Int64)

        /// The bytes it selects of a body of `length`, or nil when it selects none.
        func resolved(length: Int64) -> ClosedRange<Int64>? {
            switch self {
            case .from(let first, let last):
                guard first < length else { return nil }
                return first...min(last ?? length - 1, length - 1)
            case .suffix(let count):
                guard count > 0, length > 0 else { return nil }
                return max(0, length - count)...(length - 1)
            }
        }
    }

    /// `first-pos "-" [ last-pos ]` or `"-" suffix-length`; nil when malformed.
    static func parseSpec(_ spec: Substring) -> Spec? {
        guard let dash = spec.firstIndex(of: "-") else { return nil }
        let first = spec[..<dash], last = spec[spec.index(after: dash)...]
        if first.isEmpty {
            guard let count = digits(last) else { return nil }
            return .suffix(count)
        }
        guard let start = digits(first) else { return nil }
        if last.isEmpty { return .from(start, through: nil) }
        guard let end = digits(last), end >= start else { return nil }
        return .from(start, through: end)
    }

    /// A run of ASCII digits (saturating: a huge position only means "past the end").
    static func digits(_ text: Substring) -> Int64? {
        guard !text.isEmpty else { return nil }
        var value: Int64 = 0
        for c in text.utf8 {
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int64(c - UInt8(ascii: "0")))
            value = o1 || o2 ? Int64.max : s
        }
        return value
    }

    /// Merges ranges that overlap or lie closer than `coalescingGap`. Order is kept when nothing
    /// merges (a client may want parts in its order); once anything merges, parts go ascending,
    /// which §14.6 permits.
    static func coalesce(_ ranges: [ClosedRange<Int64>]) -> [ClosedRange<Int64>] {
        guard ranges.count > 1 else { return ranges }
        let sorted = ranges.sorted { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<Int64>] = [sorted[0]]
        for range in sorted.dropFirst() {
            let last = merged[merged.count - 1]
            if range.lowerBound - last.upperBound <= coalescingGap {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged.count == ranges.count ? ranges : merged
    }
}
