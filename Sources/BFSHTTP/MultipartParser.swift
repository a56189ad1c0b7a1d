#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A streaming `multipart/form-data` parser (RFC 7578 over RFC 2046 §5.1).
///
/// Feed the body in chunks of any size as they arrive; events go to a
/// ``MultipartParserDelegate``. Part data is handed over as slices of the fed chunk, so the
/// parser copies nothing but part headers and allocates nothing per byte.
///
/// The grammar it reads is in ``MultipartFormat``.
///
/// The body starts as if preceded by CRLF, so a first boundary on the first line matches `D`.
/// Because a boundary never holds a CR (``MultipartBoundary``), a delimiter can only begin at a
/// CR; when a chunk ends inside a possible delimiter, the parser only remembers how many
/// delimiter bytes matched (they equal that prefix of `D`) and emits them later as data if the
/// match fails, so a boundary split at any byte position needs no buffering of the input.
public struct MultipartParser {
    /// Bounds on one body; exceeding one throws the named 413-class error.
    public struct Limits: Sendable, Equatable {
        /// Most bytes of one part's header block (padding and the blank line included).
        public var maxPartHeaderSize: Int
        /// Most parts in one body.
        public var maxParts: Int
        /// Most content bytes in one part.
        public var maxPartSize: Int

        /// Limits. Defaults: 8 KiB of headers (a browser sends about 150 bytes), 1,024 parts,
        /// and 10 MiB a part, bfs's default `NeedleMaxSize`.
        public init(maxPartHeaderSize: Int = 8 * 1024, maxParts: Int = 1024,
                    maxPartSize: Int = 10 * 1024 * 1024)
        {
            self.maxPartHeaderSize = maxPartHeaderSize
            self.maxParts = maxParts
            self.maxPartSize = maxPartSize
        }
    }

    private enum State {
        case preamble, content, boundaryTail, closing, boundaryCR, headers, epilogue
        case finished, failed(FormDataError)
    }

    /// The limits this parser enforces.
    public let limits: Limits
    /// The boundary, without the leading `--`.
    public let boundary: String
    /// `CRLF--boundary`.
    private let delimiter: [UInt8]
    private var state: State = .preamble
    /// How many bytes of `delimiter` the end of the input so far matched (held back).
    private var matched = 2
    private var headerBlock: [UInt8] = []
    /// How many bytes of CRLF CRLF end the header block so far.
    private var headerEndMatched = 0
    private var paddingSize = 0
    private var partCount = 0
    private var partSize = 0
    private var partName: String?

    /// A parser for `boundary` (as in the Content-Type, without `--`).
    public init(boundary: String, limits: Limits = Limits()) throws(FormDataError) {
        try MultipartBoundary.validate(boundary)
        self.boundary = boundary
        self.limits = limits
        delimiter = MultipartFormat.delimiter(boundary)
        headerBlock.reserveCapacity(256)
    }

    /// A parser for the boundary named in a `multipart/…` Content-Type header value.
    public init(contentType: String, limits: Limits = Limits()) throws(FormDataError) {
        try self.init(boundary: MultipartBoundary.extract(fromContentType: contentType),
                      limits: limits)
    }

    /// Whether the closing delimiter has been read.
    public var isComplete: Bool {
        switch state {
        case .epilogue, .finished: return true
        default: return false
        }
    }

    /// Parses the next chunk of the body, calling `delegate` for what it completes.
    ///
    /// After any error the parser is closed: later calls throw the same error.
    public mutating func feed<Delegate: MultipartParserDelegate>(
        _ chunk: UnsafeRawBufferPointer, to delegate: inout Delegate
    ) throws {
        switch state {
        case .failed(let error): throw error
        case .finished: throw FormDataError.parserClosed
        default: break
        }
        do {
            var i = 0
            while i < chunk.count { i = try step(chunk, from: i, &delegate) }
        } catch {
            state = .failed(error as? FormDataError ?? .parserClosed)
            throw error
        }
    }

    /// Parses the next chunk given as bytes (a convenience over the pointer form).
    public mutating func feed<Delegate: MultipartParserDelegate>(
        _ bytes: some Collection<UInt8>, to delegate: inout Delegate
    ) throws {
        let done: Void? = try bytes.withContiguousStorageIfAvailable {
            try feed(UnsafeRawBufferPointer($0), to: &delegate)
        }
        if done == nil { try feed(Array(bytes), to: &delegate) }
    }

    /// Declares the end of input; throws `.truncatedBody` unless the closing delimiter was read.
    public mutating func finish() throws(FormDataError) {
        switch state {
        case .epilogue: state = .finished
        case .finished: break
        case .failed(let error): throw error
        default:
            state = .failed(.truncatedBody)
            throw .truncatedBody
        }
    }

    /// Consumes input from `i` in the current state; returns where the next state starts.
    private mutating func step<Delegate: MultipartParserDelegate>(
        _ chunk: UnsafeRawBufferPointer, from i: Int, _ delegate: inout Delegate
    ) throws -> Int {
        switch state {
        case .preamble, .content:
            return try scan(chunk, from: i, &delegate)
        case .headers:
            return try readHeaders(chunk, from: i, &delegate)
        case .boundaryTail:
            switch chunk[i] {
            case UInt8(ascii: "-"): state = .closing
            case UInt8(ascii: "\r"): state = .boundaryCR
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                paddingSize += 1
                if paddingSize > limits.maxPartHeaderSize {
                    throw FormDataError.partHeadersTooLarge(limit: limits.maxPartHeaderSize)
                }
            default: throw FormDataError.malformedDelimiter
            }
        case .closing:
            guard chunk[i] == UInt8(ascii: "-") else { throw FormDataError.malformedDelimiter }
            state = .epilogue
            try delegate.didEndBody()
        case .boundaryCR:
            guard chunk[i] == UInt8(ascii: "\n") else { throw FormDataError.malformedDelimiter }
            partCount += 1
            if partCount > limits.maxParts { throw FormDataError.tooManyParts(limit: limits.maxParts) }
            headerBlock.removeAll(keepingCapacity: true)
            // The delimiter's CRLF ends the boundary line, so an empty line right away means
            // "no headers": start as if CRLF of the terminating CRLF CRLF were already seen.
            headerEndMatched = 2
            state = .headers
        case .epilogue:
            return chunk.count
        case .finished, .failed:
            throw FormDataError.parserClosed
        }
        return i + 1
    }

    /// Looks for the delimiter from `start`, emitting content (or dropping preamble) before it.
    private mutating func scan<Delegate: MultipartParserDelegate>(
        _ chunk: UnsafeRawBufferPointer, from start: Int, _ delegate: inout Delegate
    ) throws -> Int {
        let base = chunk.baseAddress!
        let end = chunk.count
        let delimiter = self.delimiter
        let size = delimiter.count
        var i = start
        if matched > 0 {
            while matched < size && i < end && chunk[i] == delimiter[matched] {
                matched += 1
                i += 1
            }
            if matched == size {
                try endDelimiter(&delegate)
                return i
            }
            if i == end { return end }
            // The held bytes were data after all. The delimiter holds a CR only at its start,
            // so no delimiter can begin inside them: scanning resumes at the mismatching byte.
            let held = matched
            matched = 0
            try delimiter.withUnsafeBytes { bytes in
                try emit(UnsafeRawBufferPointer(rebasing: bytes[0..<held]), &delegate)
            }
        }
        let dataStart = i
        while i < end {
            guard let found = memchr(base + i, 0x0D, end - i) else { break }
            let at = base.distance(to: UnsafeRawPointer(found))
            let available = Swift.min(size, end - at)
            let same = delimiter.withUnsafeBytes { memcmp(found, $0.baseAddress!, available) == 0 }
            if same {
                try emit(UnsafeRawBufferPointer(rebasing: chunk[dataStart..<at]), &delegate)
                if available == size {
                    try endDelimiter(&delegate)
                    return at + size
                }
                matched = available
                return end
            }
            i = at + 1
        }
        try emit(UnsafeRawBufferPointer(rebasing: chunk[dataStart..<end]), &delegate)
        return end
    }

    /// Hands content to the delegate (preamble is dropped), enforcing the part size limit.
    private mutating func emit<Delegate: MultipartParserDelegate>(
        _ bytes: UnsafeRawBufferPointer, _ delegate: inout Delegate
    ) throws {
        guard case .content = state, !bytes.isEmpty else { return }
        partSize += bytes.count
        if partSize > limits.maxPartSize {
            throw FormDataError.partTooLarge(name: partName, limit: limits.maxPartSize)
        }
        try delegate.didReceivePartData(bytes)
    }

    /// A full delimiter was read: the current part (if any) ends; its tail decides what's next.
    private mutating func endDelimiter<Delegate: MultipartParserDelegate>(
        _ delegate: inout Delegate
    ) throws {
        matched = 0
        paddingSize = 0
        let wasContent: Bool
        if case .content = state { wasContent = true } else { wasContent = false }
        state = .boundaryTail
        if wasContent { try delegate.didEndPart() }
    }

    /// Gathers one part's header block up to its empty line, then starts the part.
    private mutating func readHeaders<Delegate: MultipartParserDelegate>(
        _ chunk: UnsafeRawBufferPointer, from start: Int, _ delegate: inout Delegate
    ) throws -> Int {
        var i = start
        let room = limits.maxPartHeaderSize - paddingSize - headerBlock.count
        while i < chunk.count && headerEndMatched < 4 {
            let expected: UInt8 = headerEndMatched % 2 == 0 ? 0x0D : 0x0A
            let byte = chunk[i]
            headerEndMatched = byte == expected ? headerEndMatched + 1 : (byte == 0x0D ? 1 : 0)
            i += 1
            if i - start > room {
                throw FormDataError.partHeadersTooLarge(limit: limits.maxPartHeaderSize)
            }
        }
        headerBlock.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[start..<i]))
        guard headerEndMatched == 4 else { return i }
        // Drop the blank line's CRLF so every remaining line ends in CRLF.
        let part = try MultipartPart(parsingHeaderBlock: headerBlock.dropLast(2))
        partName = part.name
        partSize = 0
        state = .content
        try delegate.didBeginPart(part)
        return i
    }
}
