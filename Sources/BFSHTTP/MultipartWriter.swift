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
        appendHead(disposition: "form-data; name=\(Self.quoted(name))", contentType: nil)
        chunks.append(Array(value.utf8)[...])
    }

    /// Adds a file part whose content is `data` (shared, not copied).
    public mutating func addFile(name: String, filename: String,
                                 contentType: String = "application/octet-stream",
                                 data: ArraySlice<UInt8>)
    {
        appendHead(disposition: "form-data; name=\(Self.quoted(name)); filename=\(Self.quoted(filename))",
                   contentType: contentType)
        if !data.isEmpty { chunks.append(data) }
    }

    /// Adds a file part whose content is the concatenation of `chunks` (each shared, not
    /// copied: a body received in pieces goes out to several servers without being joined).
    public mutating func addFile(name: String, filename: String,
                                 contentType: String = "application/octet-stream", chunks: [ArraySlice<UInt8>])
    {
        appendHead(disposition: "form-data; name=\(Self.quoted(name)); filename=\(Self.quoted(filename))",
                   contentType: contentType)
        for chunk in chunks where !chunk.isEmpty { self.chunks.append(chunk) }
    }

    /// Adds a file part whose content is `data` (shared, not copied).
    public mutating func addFile(name: String, filename: String,
                                 contentType: String = "application/octet-stream", data: [UInt8])
    {
        addFile(name: name, filename: filename, contentType: contentType, data: data[...])
    }

    /// The whole body as chunks in order, the closing delimiter included.
    public func makeChunks() -> [ArraySlice<UInt8>] {
        chunks + [closing]
    }

    /// The total body size, for a Content-Length header.
    public var contentLength: Int {
        chunks.reduce(closing.count) { $0 + $1.count }
    }

    /// The whole body in one array (copies every chunk once).
    public func makeBody() -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(contentLength)
        for chunk in makeChunks() { body.append(contentsOf: chunk) }
        return body
    }

    /// The closing delimiter, with the CRLF that ends the last part's content.
    private var closing: ArraySlice<UInt8> {
        Array(MultipartFormat.closing(boundary, hasParts: partCount > 0).utf8)[...]
    }

    /// Appends the delimiter and header block that open a part.
    private mutating func appendHead(disposition: String, contentType: String?) {
        var head = MultipartFormat.opening(boundary, isFirst: partCount == 0)
        head += "Content-Disposition: \(disposition)\r\n"
        if let contentType {
            head += "Content-Type: \(Self.singleLine(contentType))\r\n"
        }
        head += "\r\n"
        chunks.append(Array(head.utf8)[...])
        partCount += 1
    }

    /// `text` as a quoted-string safe on one header line.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\r": out += "%0D"
            case "\n": out += "%0A"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// `text` with CR and LF replaced by spaces, so it cannot end its header line.
    static func singleLine(_ text: String) -> String {
        String(text.unicodeScalars.map { $0 == "\r" || $0 == "\n" ? " " : Character($0) })
    }
}
