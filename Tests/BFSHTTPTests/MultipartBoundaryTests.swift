import Testing
@testable import BFSHTTP

@Suite struct MultipartBoundaryTests {
    @Test(arguments: [
        ("multipart/form-data; boundary=abc123", "abc123"),
        ("multipart/form-data; boundary=\"abc 123\"", "abc 123"),
        ("Multipart/Form-Data;BOUNDARY=x", "x"),
        ("multipart/form-data; charset=utf-8; boundary=\"a'b(c)+_,-./:=? \\z\"", "a'b(c)+_,-./:=? z"),
        ("multipart/form-data ; boundary = tok ; other=1;", "tok"),
        ("multipart/mixed; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
         "----WebKitFormBoundary7MA4YWxkTrZu0gW"),
    ])
    func extractsBoundary(contentType: String, boundary: String) throws {
        #expect(try MultipartBoundary.extract(fromContentType: contentType) == boundary)
    }

    @Test func rejectsBadContentTypes() {
        #expect(throws: FormDataError.notMultipart(contentType: "text/plain; boundary=x")) {
            try MultipartBoundary.extract(fromContentType: "text/plain; boundary=x")
        }
        #expect(throws: FormDataError.missingBoundary) {
            try MultipartBoundary.extract(fromContentType: "multipart/form-data; charset=utf-8")
        }
        #expect(throws: FormDataError.malformedHeaderValue("multipart/form-data; boundary=\"x")) {
            try MultipartBoundary.extract(fromContentType: "multipart/form-data; boundary=\"x")
        }
        #expect(throws: FormDataError.malformedHeaderValue("multipart/form-data; boundary")) {
            try MultipartBoundary.extract(fromContentType: "multipart/form-data; boundary")
        }
    }

    @Test func boundaryLengthAndCharacters() throws {
        try MultipartBoundary.validate(String(repeating: "a", count: 70))
        for bad in [String(repeating: "a", count: 71), "", "ends with space ", "cr\rlf", "semi;", "é"] {
            #expect(throws: FormDataError.invalidBoundary(bad)) { try MultipartBoundary.validate(bad) }
        }
        #expect(throws: FormDataError.invalidBoundary("a\r\nb")) {
            try MultipartParser(boundary: "a\r\nb")
        }
    }
}
