import BFSHTTP

/// The answer RFC 9110 §13.2.2 and §14 prescribe for a request's preconditions and `Range`.
public enum ConditionalAnswer: Equatable, Sendable {
    /// Perform the method: for GET/HEAD send the whole representation with 200.
    case proceed
    /// 206 with one range and `Content-Range`.
    case partial(ClosedRange<Int64>)
    /// 206 `multipart/byteranges` with these ranges, in this order.
    case multipart([ClosedRange<Int64>])
    /// 304: the client's copy is current.
    case notModified
    /// 412: a precondition the client set is false.
    case preconditionFailed
    /// 416 with `Content-Range: bytes */length`.
    case rangeNotSatisfiable

    /// Evaluates the preconditions and range of a request, in the order of RFC 9110 §13.2.2.
    ///
    /// | Step | Field | When false |
    /// |---|---|---|
    /// | 1 | `If-Match` (strong comparison; `*` = exists) | 412 |
    /// | 2 | `If-Unmodified-Since` (only without `If-Match`, only with a representation) | 412 |
    /// | 3 | `If-None-Match` (weak comparison; `*` = exists) | 304 for GET/HEAD, else 412 |
    /// | 4 | `If-Modified-Since` (only without `If-None-Match`, GET/HEAD) | 304 |
    /// | 5 | `If-Range` (only with `Range`, GET) | `Range` ignored: 200 |
    /// | 6 | `Range` (GET only, §14.2) | 206, multipart 206, or 416 |
    ///
    /// Preconditions only decide between a success and 304/412 (§13.2.1): when there is no
    /// file and the method is not a PUT (which creates it), the answer without them is 404, so
    /// they are ignored and the caller answers 404.
    ///
    /// Unparseable conditional fields are ignored (dates, §13.1.3-4) or treated as absent (tag
    /// lists), so a field we cannot read never blocks or shortens an answer.
    ///
    /// - Parameters:
    ///   - representation: the current file, or nil when there is none.
    ///   - now: the current Unix time, used only for two-digit years in RFC 850 dates.
    public static func evaluate(method: HTTPMethod, headers: HTTPHeaders,
                                representation: Representation?, now: Int64) -> ConditionalAnswer
    {
        guard representation != nil || method == .put else { return .proceed }
        let isRead = method == .get || method == .head
        let tag = representation?.entityTag
        if let condition = EntityTagCondition.parse(headers.values(for: "If-Match")) {
            guard let tag, condition.contains(tag, weak: false) else { return .preconditionFailed }
        } else if let date = singleDate(headers.values(for: "If-Unmodified-Since"), now: now),
                  let representation, representation.lastModified > date
        {
            return .preconditionFailed
        }
        if let condition = EntityTagCondition.parse(headers.values(for: "If-None-Match")) {
            if let tag, condition.contains(tag, weak: true) {
                return isRead ? .notModified : .preconditionFailed
            }
        } else if isRead, let representation,
                  let date = singleDate(headers.values(for: "If-Modified-Since"), now: now),
                  representation.lastModified <= date
        {
            return .notModified
        }
        guard method == .get, let representation else { return .proceed }
        let rangeLines = headers.values(for: "Range")
        guard !rangeLines.isEmpty else { return .proceed }
        let ifRange = headers.values(for: "If-Range")
        if !ifRange.isEmpty && !ifRangeHolds(ifRange, representation: representation, now: now) {
            return .proceed
        }
        switch ByteRangeRequest.parse(rangeLines, length: representation.length) {
        case .ignored: return .proceed
        case .unsatisfiable: return .rangeNotSatisfiable
        case .satisfiable(let ranges):
            return ranges.count == 1 ? .partial(ranges[0]) : .multipart(ranges)
        }
    }

    /// `If-Range` (§13.1.5): an entity tag must match strongly; a date must equal
    /// `Last-Modified` exactly. Anything else (several lines, garbage) is false: send it all.
    static func ifRangeHolds(_ lines: [String], representation: Representation, now: Int64) -> Bool {
        guard lines.count == 1 else { return false }
        let value = lines[0].trimmedOWS()
        if value.hasPrefix("\"") || value.hasPrefix("W/") {
            guard let tag = EntityTag.parse(value) else { return false }
            return tag.matchesStrongly(representation.entityTag)
        }
        guard let date = HTTPDate.parse(String(value), now: now) else { return false }
        return date == representation.lastModified
    }

    /// The date of a date-valued conditional field, or nil when it is absent, repeated or not a
    /// valid HTTP-date (the field is then ignored, §13.1.3).
    static func singleDate(_ lines: [String], now: Int64) -> Int64? {
        guard lines.count == 1 else { return nil }
        return HTTPDate.parse(lines[0], now: now)
    }
}

extension EntityTagCondition {
    /// Whether `tag` satisfies the condition with the given comparison.
    func contains(_ tag: EntityTag, weak: Bool) -> Bool {
        switch self {
        case .any: return true
        case .tags(let tags):
            return tags.contains { weak ? $0.matchesWeakly(tag) : $0.matchesStrongly(tag) }
        }
    }
}
