import BFSHTTP
import BFSStorage

/// Why an upload body was refused while it streamed in (beyond multipart syntax errors, which
/// arrive as `FormDataError`).
enum APIUploadError: Error, Equatable {
    /// A `file` part grew past the needle maximum (ret 5011).
    case fileTooLarge
    /// A batch carried more `file` parts than `batchMaxFiles` (ret 2000).
    case tooManyFiles
}

/// Turns a `multipart/form-data` upload body into its fields and its `file` parts, encoded as
/// needles (`NeedleBatch`: header reserved, data copied once into place, CRC updated per chunk,
/// footer at the part's end) as the body arrives, enforcing the size limits on the fly so an oversized file is refused after at most
/// `needleMaxSize` bytes, whatever the request announced (chunked bodies included).
///
/// Only parts named `file` that carry a filename are files (Go's `FormFile`); other file parts
/// are skipped. With `maxFiles == 1` (`/upload`) later `file` parts are skipped too, as `FormFile`
/// only ever looks at the first. Loop-confined.
final class APIUploadBody {
    /// Bytes of multipart framing allowed per file on top of its data when checking a declared
    /// Content-Length: the part header block limit (8 KiB) plus delimiters, rounded up.
    static let framingPerFile = 16 * 1024
    /// Bytes allowed for the small fields (vid, key, cookie, keys, cookies) and the preamble.
    static let framingFields = 64 * 1024

    private final class Files {
        var needles: NeedleBatch
        var seen = 0

        init(capacity: Int) { needles = NeedleBatch(capacity: capacity) }
    }

    /// Set once the handler has answered or handed the upload on: later body events are ignored.
    var isFinished = false
    private var parser: MultipartParser
    private var collector: MultipartFormCollector
    private let files: Files

    /// A body reader for a request whose Content-Type is `contentType`; throws `FormDataError`
    /// when it is not multipart with a valid boundary.
    /// `sizeHint` (the declared body length of a one-file upload, or 0) sizes the needle buffer
    /// up front, so a 10 MiB file is not copied by repeated growth.
    init(contentType: String, maxFileSize: Int, maxFiles: Int, skipExtraFiles: Bool, sizeHint: Int = 0) throws(FormDataError) {
        // The parser's part cap is the needle maximum, so even a non-`file` part is bounded.
        let limits = MultipartParser.Limits(maxPartHeaderSize: 8 * 1024, maxParts: 1024, maxPartSize: maxFileSize)
        parser = try MultipartParser(contentType: contentType, limits: limits)
        let files = Files(capacity: sizeHint > 0 ? NeedleFormat.totalSize(dataSize: min(sizeHint, maxFileSize)) : 0)
        self.files = files
        collector = MultipartFormCollector(onFile: { event in
            switch event {
            case .begin(let part):
                guard part.name == "file" else { return }
                files.seen += 1
                if files.seen > maxFiles {
                    if skipExtraFiles { return }
                    throw APIUploadError.tooManyFiles
                }
                files.needles.begin()
            case .data(let bytes):
                guard files.needles.isOpen else { return }
                guard files.needles.openDataSize + bytes.count <= maxFileSize else { throw APIUploadError.fileTooLarge }
                files.needles.append(bytes)
            case .end:
                if files.needles.isOpen { files.needles.end() }
            }
        })
    }

    /// Parses the next chunk of the body.
    func feed(_ chunk: UnsafeRawBufferPointer) throws {
        try parser.feed(chunk, to: &collector)
    }

    /// Ends the body; throws `.truncatedBody` if the closing delimiter never came. The files come
    /// back as needles without headers (`NeedleBatch.setHeader` once key and cookie are known).
    func finish() throws -> (fields: FormFields, files: NeedleBatch) {
        try parser.finish()
        files.needles.discardOpen()
        // Moved out, so setting the headers does not copy the bytes.
        var needles = NeedleBatch()
        swap(&needles, &files.needles)
        return (collector.fields, needles)
    }
}
