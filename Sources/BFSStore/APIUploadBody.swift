import BFSCore
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
/// only ever looks at the first. Loop-confined, but for the append's completion on a flusher
/// lane, which reads only `exchange`, `start`, `handler`, `appended` and `uploads`: set on the
/// loop before `Volume.submit`, whose locks order those writes before the completion's reads.
final class APIUploadBody: @unchecked Sendable {
    /// Bytes of multipart framing allowed per file on top of its data when checking a declared
    /// Content-Length: the part header block limit (8 KiB) plus delimiters, rounded up.
    static let framingPerFile = 16 * 1024
    /// Bytes allowed for the small fields (vid, key, cookie, keys, cookies) and the preamble.
    static let framingFields = 64 * 1024

    /// The files and the limits the collector's callback needs: its only capture, so the
    /// callback needs no context allocation of its own.
    private final class Files {
        var needles: NeedleBatch
        var seen = 0
        let maxFileSize: Int
        let maxFiles: Int
        let skipExtraFiles: Bool

        init(capacity: Int, maxFileSize: Int, maxFiles: Int, skipExtraFiles: Bool) {
            needles = NeedleBatch(capacity: capacity)
            self.maxFileSize = maxFileSize
            self.maxFiles = maxFiles
            self.skipExtraFiles = skipExtraFiles
        }

        func handle(_ event: MultipartFormCollector.FileEvent) throws {
            switch event {
            case .begin(let part):
                guard part.name == "file" else { return }
                seen += 1
                if seen > maxFiles {
                    if skipExtraFiles { return }
                    throw APIUploadError.tooManyFiles
                }
                needles.begin()
            case .data(let bytes):
                guard needles.isOpen else { return }
                guard needles.openDataSize + bytes.count <= maxFileSize else { throw APIUploadError.fileTooLarge }
                needles.append(bytes)
            case .end:
                if needles.isOpen { needles.end() }
            }
        }
    }

    /// Set once the handler has answered or handed the upload on: later body events are ignored.
    var isFinished = false
    /// The request this body belongs to and when its head arrived; with `handler`, all the
    /// handler's callbacks need, so they capture only this object (no closure context per
    /// callback per upload).
    let exchange: HTTPServerExchange
    let start: UInt64
    let handler: APIUploadHandler
    /// What the answer counts: the loop's shares of the counters, the data bytes and needles.
    var appended: (entry: LoopVolumeCache.Entry, bytes: Int, count: Int)?
    /// The loop's upload state: where the completion queues the answer (`answers`).
    var uploads: LoopUploads?
    private var parser: MultipartParser
    private var collector: MultipartFormCollector
    private let files: Files

    /// A body reader for a request whose Content-Type is `contentType`; throws `FormDataError`
    /// when it is not multipart with a valid boundary.
    /// `sizeHint` (the declared body length of a one-file upload, or 0) sizes the needle buffer
    /// up front, so a 10 MiB file is not copied by repeated growth.
    init(contentType: String, maxFileSize: Int, maxFiles: Int, skipExtraFiles: Bool, sizeHint: Int = 0,
         exchange: HTTPServerExchange, start: UInt64, handler: APIUploadHandler) throws(FormDataError) {
        self.exchange = exchange
        self.start = start
        self.handler = handler
        // The parser's part cap is the needle maximum, so even a non-`file` part is bounded.
        let limits = MultipartParser.Limits(maxPartHeaderSize: 8 * 1024, maxParts: 1024, maxPartSize: maxFileSize)
        parser = try MultipartParser(contentType: contentType, limits: limits)
        let files = Files(capacity: sizeHint > 0 ? NeedleFormat.totalSize(dataSize: min(sizeHint, maxFileSize)) : 0,
                          maxFileSize: maxFileSize, maxFiles: maxFiles, skipExtraFiles: skipExtraFiles)
        self.files = files
        collector = MultipartFormCollector(onFile: files.handle)
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
