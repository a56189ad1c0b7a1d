/// Why a query string, a urlencoded body or a multipart body was rejected.
///
/// One enum for every request-body grammar in this module, so a handler maps any of them to an
/// HTTP answer with ``status`` and a human-readable ``description`` in one place.
public enum FormDataError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A `%` not followed by two hex digits, at this byte offset of the encoded input.
    case malformedPercentEscape(offset: Int)
    /// More name/value pairs than the configured limit.
    case tooManyPairs(limit: Int)
    /// One encoded `name=value` pair longer than the configured limit.
    case pairTooLarge(limit: Int)
    /// The Content-Type is not `multipart/…` (carries the offending value).
    case notMultipart(contentType: String)
    /// A multipart Content-Type without a `boundary` parameter.
    case missingBoundary
    /// A boundary that RFC 2046 §5.1.1 forbids (empty, over 70 bytes, or a byte outside bchars).
    case invalidBoundary(String)
    /// A Content-Type or Content-Disposition value whose parameters do not parse.
    case malformedHeaderValue(String)
    /// The bytes after a boundary were neither `--` nor optional padding and CRLF.
    case malformedDelimiter
    /// A part header line without a colon, or with a bare CR or LF.
    case malformedPartHeader(String)
    /// One part's header block is longer than the configured limit.
    case partHeadersTooLarge(limit: Int)
    /// The body holds more parts than the configured limit.
    case tooManyParts(limit: Int)
    /// One part's content is larger than the configured limit (the part's `name`, if any).
    case partTooLarge(name: String?, limit: Int)
    /// A small form field (not a file) is larger than the collector's field limit.
    case fieldTooLarge(name: String, limit: Int)
    /// A form-data part without a `name` in its Content-Disposition (RFC 7578 §4.2 requires it).
    case missingPartName
    /// The input ended before the closing delimiter `--boundary--`.
    case truncatedBody
    /// The parser was fed after it had already failed or finished.
    case parserClosed

    /// The HTTP status a server answers with: 413 for exceeded limits, 400 for malformed input.
    public var status: HTTPStatus {
        switch self {
        case .tooManyPairs, .pairTooLarge, .partHeadersTooLarge, .tooManyParts, .partTooLarge,
             .fieldTooLarge:
            return .contentTooLarge
        case .notMultipart:
            return .unsupportedMediaType
        default:
            return .badRequest
        }
    }

    /// A one-line message fit for a 4xx response body or a log line.
    public var description: String {
        switch self {
        case .malformedPercentEscape(let offset):
            return "malformed percent escape at byte \(offset)"
        case .tooManyPairs(let limit):
            return "more than \(limit) form pairs"
        case .pairTooLarge(let limit):
            return "a form pair is longer than \(limit) bytes"
        case .notMultipart(let contentType):
            return "content type \"\(contentType)\" is not multipart"
        case .missingBoundary:
            return "multipart content type without a boundary"
        case .invalidBoundary(let boundary):
            return "invalid multipart boundary \"\(boundary)\""
        case .malformedHeaderValue(let value):
            return "malformed header value \"\(value)\""
        case .malformedDelimiter:
            return "malformed multipart delimiter line"
        case .malformedPartHeader(let line):
            return "malformed multipart part header \"\(line)\""
        case .partHeadersTooLarge(let limit):
            return "multipart part headers longer than \(limit) bytes"
        case .tooManyParts(let limit):
            return "more than \(limit) multipart parts"
        case .partTooLarge(let name, let limit):
            return "multipart part \"\(name ?? "")\" larger than \(limit) bytes"
        case .fieldTooLarge(let name, let limit):
            return "form field \"\(name)\" larger than \(limit) bytes"
        case .missingPartName:
            return "multipart part without a name"
        case .truncatedBody:
            return "multipart body ended before its closing boundary"
        case .parserClosed:
            return "multipart parser fed after it finished or failed"
        }
    }
}
