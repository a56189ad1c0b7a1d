/// Builds a `multipart/form-data` body from fields and files, as a list of chunks.
///
/// File contents are kept as the caller's array slices (copy-on-write shares their storage),
/// so a body can be written with one `writev` of ``makeChunks()`` and no copy of the file
/// data; ``makeBody()`` is the one-copy convenience for small bodies and tests.
///
/// The bytes it writes are laid out in ``MultipartFormat``.
public struct MultipartWriter {
    /// The boundary, without the leading `--`.
    public let boundary: String
    private var chunks: [ArraySlice<UInt8>] = []
    /// Bytes written since the last shared file chunk (part heads, field values): they go out
    /// as one chunk, so a form of a few fields and one file is three chunks, not one per piece.
    private var pending: [UInt8] = []
    private var partCount = 0

    /// A writer with a fresh random boundary.
    public init() {
        boundary = MultipartBoundary.makeRandom()
    }

    /// A writer with a given boundary (must be legal per RFC 2046).
    public init(boundary: String) throws(FormDataError) {
        try MultipartBoundary.validate(boundary)
        self.boundary = boundary
    }

    /// The Content-Type header value announcing this body's boundary.
    public var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// How many parts were added.
    public var count: Int { partCount }

    /// Adds a text field.
    public mutating func addField(name: String, value: String) {
        appendHead(name: name, filename: nil, contentType: nil)
        pending.append(contentsOf: value.utf8)
    }

    /// Adds a file part whose content is `data` (shared, not copied).
    public mutating func addFile(name: String, filename: String,
                                 contentType: String = "application/octet-stream",
                                 data: ArraySlice<UInt8>)
    {
        appendHead(name: name, filename: filename, contentType: contentType)
        if !data.isEmpty { appendShared(data) }
    }

    /// Adds a file part whose content is the concatenation of `chunks` (each shared, not
    /// copied: a body received in pieces goes out to several servers without being joined).
    public mutating func addFile(name: String, filename: String,
                                 contentType: String = "application/octet-stream", chunks: [ArraySlice<UInt8>])
    {
        appendHead(name: name, filename: filename, contentType: contentType)
        for chunk in chunks where !chunk.isEmpty { appendShared(chunk) }
    }

    /// Adds a file part whose content is `data` (shared, not copied).
    public mutating func addFile(name: String, filename: String,
                                 contentType: String = "application/octet-stream", data: [UInt8])
    {
        addFile(name: name, filename: filename, contentType: contentType, data: data[...])
    }

    /// The whole body as chunks in order, the closing delimiter included.
    public func makeChunks() -> [ArraySlice<UInt8>] {
        var all = chunks
        all.reserveCapacity(chunks.count + 1)
        var tail = pending
        tail.reserveCapacity(pending.count + closingSize)
        MultipartFormat.appendClosing(boundary, hasParts: partCount > 0, to: &tail)
        all.append(tail[...])
        return all
    }

    /// The total body size, for a Content-Length header.
    public var contentLength: Int {
        chunks.reduce(pending.count + closingSize) { $0 + $1.count }
    }

    /// The whole body in one array (copies every chunk once).
    public func makeBody() -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(contentLength)
        for chunk in makeChunks() { body.append(contentsOf: chunk) }
        return body
    }

    /// Bytes of the closing delimiter.
    private var closingSize: Int { MultipartFormat.closingSize(boundary, hasParts: partCount > 0) }

    /// Ends the pending bytes as a chunk and appends `data` after them.
    private mutating func appendShared(_ data: ArraySlice<UInt8>) {
        if !pending.isEmpty {
            chunks.append(pending[...])
            pending = []
        }
        chunks.append(data)
    }

    /// Appends the delimiter and header block that open a part (the opening, then
    /// `Content-Disposition` and the optional `Content-Type`).
    private mutating func appendHead(name: String, filename: String?, contentType: String?) {
        let headSize = 96 + boundary.utf8.count + name.utf8.count + (filename?.utf8.count ?? 0) + (contentType?.utf8.count ?? 0)
        // Room for a few more small parts, so a form's heads and fields grow the buffer once or twice.
        if pending.capacity - pending.count < headSize { pending.reserveCapacity(pending.count + 2 * headSize + 256) }
        MultipartFormat.appendOpening(boundary, isFirst: partCount == 0, to: &pending)
        pending.append(contentsOf: "Content-Disposition: form-data; name=".utf8)
        Self.appendQuoted(name, to: &pending)
        if let filename {
            pending.append(contentsOf: "; filename=".utf8)
            Self.appendQuoted(filename, to: &pending)
        }
        pending.append(contentsOf: "\r\n".utf8)
        if let contentType {
            pending.append(contentsOf: "Content-Type: ".utf8)
            // CR and LF become spaces, so the value cannot end its header line.
            for byte in contentType.utf8 { pending.append(byte == 0x0D || byte == 0x0A ? UInt8(ascii: " ") : byte) }
            pending.append(contentsOf: "\r\n".utf8)
        }
        pending.append(contentsOf: "\r\n".utf8)
        partCount += 1
    }

    /// Appends `text` as a quoted-string safe on one header line: `\` and `"` escaped, CR and
    /// LF as `%0D` and `%0A` (bytes of other characters never equal these ASCII ones).
    static func appendQuoted(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case 0x0D: out.append(contentsOf: "%0D".utf8)
            case 0x0A: out.append(contentsOf: "%0A".utf8)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
