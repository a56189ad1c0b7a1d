import Foundation

/// What a PUT answered.
public struct PutResult: Equatable, Sendable {
    /// 201 (a new file) or 200 (an existing name replaced).
    public var status: Int
    /// The file's public URL (absolute; the proxy's `Location`, made absolute with the endpoint).
    public var location: String
    /// The quoted SHA-1 of the stored content.
    public var etag: String

    /// A result from its parts.
    public init(status: Int, location: String, etag: String) {
        self.status = status
        self.location = location
        self.etag = etag
    }

    /// The lines `bfs put` prints: URL, then ETag.
    public var report: String { "\(location)\nETag: \(etag)" }
}

/// A file's representation as GET and HEAD describe it.
public struct ObjectInfo: Equatable, Sendable {
    /// Body size in bytes.
    public var size: Int
    /// The stored MIME type.
    public var contentType: String
    /// The quoted strong ETag (content SHA-1).
    public var etag: String
    /// `Last-Modified`, as the proxy wrote it (an HTTP date).
    public var lastModified: String

    /// Information from its parts.
    public init(size: Int, contentType: String, etag: String, lastModified: String) {
        self.size = size
        self.contentType = contentType
        self.etag = etag
        self.lastModified = lastModified
    }

    /// The hex SHA-1 the ETag names, when it is a quoted 40-digit hex string.
    public var sha1: String? { Self.sha1(etag: etag) }

    /// The hex SHA-1 a quoted 40-digit lower-case hex entity tag names, else nil.
    public static func sha1(etag: String) -> String? {
        var text = Substring(etag)
        guard text.hasPrefix("\""), text.hasSuffix("\""), text.count == 42 else { return nil }
        text = text.dropFirst().dropLast()
        guard text.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
        return String(text)
    }

    /// The lines `bfs head` prints.
    public var report: String {
        "Size: \(size)\nContent-Type: \(contentType)\nETag: \(etag)\nLast-Modified: \(lastModified)"
    }
}

/// One page of a bucket listing (`GET <prefix><bucket>/?list`), as the proxy sends it:
///
/// `{"files":[{"name":"a.jpg","size":123,"sha1":"<hex>","mime":"image/jpeg","mtime":<unix ns>}],"next":"a.jpg"|null}`
///
/// `next` is non-null when more names may follow: the next page is asked for with `after=next`.
public struct ListPage: Decodable, Equatable, Sendable {
    /// One listed file.
    public struct File: Decodable, Equatable, Sendable {
        /// The filename inside the bucket.
        public var name: String
        /// Size in bytes.
        public var size: Int
        /// Hex SHA-1 of the content.
        public var sha1: String
        /// Stored MIME type.
        public var mime: String
        /// Modification time, Unix nanoseconds.
        public var mtime: Int64

        /// A listed file from its parts.
        public init(name: String, size: Int, sha1: String, mime: String, mtime: Int64) {
            self.name = name
            self.size = size
            self.sha1 = sha1
            self.mime = mime
            self.mtime = mtime
        }

        /// The line `bfs ls` prints: name, size, and modification time in UTC (ISO 8601),
        /// separated by tabs.
        public var line: String { "\(name)\t\(size)\t\(Self.isoTime(nanoseconds: mtime))" }

        /// `2026-11-24T06:45:36Z` for Unix nanoseconds.
        static func isoTime(nanoseconds: Int64) -> String {
            var seconds = time_t(nanoseconds / 1_000_000_000)
            var parts = tm()
            gmtime_r(&seconds, &parts)
            func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
            return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
                + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
        }
    }

    /// The files of this page, in name order.
    public var files: [File]
    /// The name to continue after, or nil at the end.
    public var next: String?

    /// A page from its parts.
    public init(files: [File], next: String?) {
        self.files = files
        self.next = next
    }

    /// Decodes a page; a body that is not one is a `.badResponse`.
    public init(json: [UInt8]) throws(ClientError) {
        do {
            self = try JSONDecoder().decode(ListPage.self, from: Data(json))
        } catch {
            throw .badResponse("listing is not {\"files\":[...],\"next\":...}: \(error)")
        }
    }
}
