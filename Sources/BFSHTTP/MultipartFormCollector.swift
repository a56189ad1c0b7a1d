/// A ``MultipartParserDelegate`` that keeps small fields as strings and streams file parts.
///
/// Made for bfs `/upload` and `/uploads`: `vid`, `key`, `cookie`, `keys`, `cookies` end up in
/// ``fields`` in body order, while each file part goes to ``onFile`` chunk by chunk so the
/// store can encode a needle as the body arrives instead of holding the file in memory.
///
/// ```swift
/// var parser = try MultipartParser(contentType: contentType)
/// var form = MultipartFormCollector { event in
///     switch event {
///     case .begin(let part): try needle.start(size: ..., name: part.filename)
///     case .data(let bytes): try needle.append(bytes)
///     case .end: try needle.finish()
///     }
/// }
/// try parser.feed(chunk, to: &form)     // for each chunk from the socket
/// try parser.finish()                   // at end of body
/// let vid = form.fields.first("vid")
/// ```
public struct MultipartFormCollector: MultipartParserDelegate {
    /// One step of a streamed file part.
    public enum FileEvent {
        /// A file part begins (its headers).
        case begin(MultipartPart)
        /// The next bytes of its content, valid only during the callback.
        case data(UnsafeRawBufferPointer)
        /// The file part is complete.
        case end
    }

    /// Field parts seen so far, in body order.
    public private(set) var fields = FormFields()
    /// How many file parts began so far.
    public private(set) var fileCount = 0
    /// Whether the closing delimiter was read.
    public private(set) var isComplete = false
    /// Most bytes kept for one field; a longer field throws `.fieldTooLarge`.
    public let maxFieldSize: Int
    private let isFile: (MultipartPart) -> Bool
    private let onFile: (FileEvent) throws -> Void
    private var current: MultipartPart?
    private var currentIsFile = false
    private var value: [UInt8] = []

    /// A collector.
    ///
    /// - Parameters:
    ///   - maxFieldSize: the cap on one field's bytes; 4 KiB is far above any bfs parameter.
    ///   - isFile: which parts stream to `onFile`; by default those with a `filename`.
    ///   - onFile: receives file parts; throwing aborts the parse with that error.
    public init(maxFieldSize: Int = 4096,
                isFile: @escaping (MultipartPart) -> Bool = { $0.isFile },
                onFile: @escaping (FileEvent) throws -> Void)
    {
        self.maxFieldSize = maxFieldSize
        self.isFile = isFile
        self.onFile = onFile
    }

    /// Routes a new part to the file callback or starts collecting a field.
    public mutating func didBeginPart(_ part: MultipartPart) throws {
        guard part.name != nil else { throw FormDataError.missingPartName }
        current = part
        currentIsFile = isFile(part)
        if currentIsFile {
            fileCount += 1
            try onFile(.begin(part))
        } else {
            value.removeAll(keepingCapacity: true)
        }
    }

    /// Streams file bytes or appends field bytes up to ``maxFieldSize``.
    public mutating func didReceivePartData(_ bytes: UnsafeRawBufferPointer) throws {
        if currentIsFile {
            try onFile(.data(bytes))
            return
        }
        guard value.count + bytes.count <= maxFieldSize else {
            throw FormDataError.fieldTooLarge(name: current?.name ?? "", limit: maxFieldSize)
        }
        value.append(contentsOf: bytes)
    }

    /// Ends the file or stores the finished field.
    public mutating func didEndPart() throws {
        if currentIsFile {
            try onFile(.end)
        } else {
            // bfs uploads carry three or four fields (vid, key, cookie): one allocation for them.
            if fields.isEmpty { fields.reserveCapacity(4) }
            fields.append(name: current?.name ?? "", value: String(decoding: value, as: UTF8.self))
        }
        current = nil
    }

    /// Notes that the body is complete.
    public mutating func didEndBody() throws {
        isComplete = true
    }
}
