import BFSHTTP
import BFSTestSupport

/// Store API requests on the shared test client (the form bodies come from BFSHTTP's writer).
extension TestHTTPClient {
    /// `GET` (or `HEAD`) `/get?vid&key&cookie` with extra headers.
    func get(vid: Int32, key: Int64, cookie: Int32, method: String = "GET", headers: [(String, String)] = []) throws -> TestHTTPResponse {
        try request(method, "/get?vid=\(vid)&key=\(key)&cookie=\(cookie)", headers: headers)
    }

    /// `POST /upload` as multipart with `vid`, `key`, `cookie` fields and a `file` part.
    func upload(vid: Int32, key: Int64, cookie: Int32, data: [UInt8], chunked: Bool = false) throws -> TestHTTPResponse {
        var form = MultipartWriter()
        form.addField(name: "vid", value: String(vid))
        form.addField(name: "key", value: String(key))
        form.addField(name: "cookie", value: String(cookie))
        form.addFile(name: "file", filename: "f", data: data)
        return try request("POST", "/upload", headers: [("Content-Type", form.contentType)], body: form.makeBody(), chunked: chunked)
    }

    /// `POST /del` with an urlencoded body.
    func delete(vid: Int32, key: Int64) throws -> TestHTTPResponse {
        try request("POST", "/del", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                    body: Array("key=\(key)&vid=\(vid)".utf8))
    }
}
