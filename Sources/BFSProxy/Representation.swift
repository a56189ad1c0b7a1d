/// What the proxy knows about a stored file from metadata alone: enough to answer HEAD, 304,
/// 412 and 416 and to frame 200/206 bodies without touching a store.
public struct Representation: Equatable, Sendable {
    /// Hex SHA-1 of the content, as the proxy computed it while streaming the upload.
    public var sha1: String
    /// Content length in bytes.
    public var length: Int64
    /// Last modification, Unix seconds (HTTP dates have one-second resolution).
    public var lastModified: Int64
    /// The MIME type given at upload, if any.
    public var contentType: String?

    /// A representation from its metadata.
    public init(sha1: String, length: Int64, lastModified: Int64, contentType: String? = nil) {
        self.sha1 = sha1
        self.length = length
        self.lastModified = lastModified
        self.contentType = contentType
    }

    /// The strong entity tag: the quoted content SHA-1.
    public var entityTag: EntityTag { EntityTag(sha1: sha1) }
}
